package io.hearth.scheduler.placement;

/**
 * Job tiers that mirror {@code hearth.v1.Tier}; a lower number is a higher priority.
 * Immutable constants; safe from any thread.
 */
public final class Tiers {
    public static final int RESERVED = 1;
    public static final int ON_DEMAND = 2;
    public static final int FLEX = 3;
    /** The nonprofit tier: always preemptible, kept off data-center nodes unless policy allows. */
    public static final int DONATED = 4;

    static final int MIN = RESERVED;
    static final int MAX = DONATED;

    private Tiers() {}

    public static String name(int tier) {
        switch (tier) {
            case RESERVED: return "RESERVED";
            case ON_DEMAND: return "ON_DEMAND";
            case FLEX: return "FLEX";
            case DONATED: return "DONATED";
            default: return "TIER_" + tier;
        }
    }
}
