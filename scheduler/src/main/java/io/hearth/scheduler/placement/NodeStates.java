package io.hearth.scheduler.placement;

/**
 * Node states as the placement core sees them; only {@link #READY} nodes receive work.
 * Immutable constants; safe from any thread.
 */
public final class NodeStates {
    public static final int READY = 1;
    /** Finishing its work, takes no new work (operator drain). */
    public static final int DRAINING = 2;
    /** Its stream is gone; its reservations stay until the scheduler releases them. */
    public static final int LOST = 3;

    static final int MIN = READY;
    static final int MAX = LOST;

    private NodeStates() {}

    public static String name(int state) {
        switch (state) {
            case READY: return "READY";
            case DRAINING: return "DRAINING";
            case LOST: return "LOST";
            default: return "STATE_" + state;
        }
    }
}
