package io.hearth.benchmarks.season;

/** The placement policies the season compares, all over the same fleet, weather and jobs. */
enum Policy {
    /** Hearth's PlacementEngine with its default filters: heat headroom first, data-center fallback. */
    HEARTH("hearth", "Hearth (heat-aware)"),
    /** Heat-blind, least loaded: the fitting node with the most free cores. */
    SPREAD("spread", "spread (heat-blind)"),
    /** Heat-blind bin-packing: the fitting node with the fewest free cores. */
    BIN_PACK("bin-pack", "bin-pack (heat-blind)"),
    /** Heat-blind: a seeded uniformly random fitting node. */
    RANDOM("random", "random (heat-blind)");

    final String id;
    final String label;

    Policy(String id, String label) {
        this.id = id;
        this.label = label;
    }

    boolean heatAware() {
        return this == HEARTH;
    }
}
