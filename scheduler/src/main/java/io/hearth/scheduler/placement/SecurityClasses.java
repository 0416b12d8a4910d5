package io.hearth.scheduler.placement;

/**
 * Security classes as ordinals that mirror {@code hearth.v1.SecurityClass}: a job requiring class k
 * runs only on nodes of class {@code >= k}. Immutable constants; safe from any thread.
 */
public final class SecurityClasses {
    public static final int OPEN = 1;
    public static final int SEALED = 2;
    public static final int CONTROLLED = 3;
    public static final int CERTIFIED = 4;

    static final int MIN = OPEN;
    static final int MAX = CERTIFIED;

    private SecurityClasses() {}

    public static String name(int securityClass) {
        switch (securityClass) {
            case OPEN: return "OPEN";
            case SEALED: return "SEALED";
            case CONTROLLED: return "CONTROLLED";
            case CERTIFIED: return "CERTIFIED";
            default: return "CLASS_" + securityClass;
        }
    }
}
