package io.hearth.scheduler.placement;

/**
 * Node kinds as small ints that mirror {@code hearth.v1.NodeKind}, so conversion is {@code getNumber()}.
 * Immutable constants; safe from any thread.
 */
public final class NodeKinds {
    /** Space heating: demand follows the weather. */
    public static final int RADIATOR = 1;
    /** Hot-water tank: demand all year. */
    public static final int BOILER = 2;
    /** No useful heat: fallback capacity. */
    public static final int DATACENTER = 3;

    static final int MIN = RADIATOR;
    static final int MAX = DATACENTER;

    private NodeKinds() {}

    /** Whether the kind turns its compute into wanted heat (radiators and boilers). */
    public static boolean isHeater(int kind) {
        return kind == RADIATOR || kind == BOILER;
    }

    public static String name(int kind) {
        switch (kind) {
            case RADIATOR: return "RADIATOR";
            case BOILER: return "BOILER";
            case DATACENTER: return "DATACENTER";
            default: return "KIND_" + kind;
        }
    }
}
