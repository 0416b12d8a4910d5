package io.hearth.scheduler.placement;

/**
 * Scratch space of one placement query: the job's bounds copied into primitives and the best node
 * found so far. One instance, owned and reused by the engine's placement thread.
 */
final class Search {
    JobRequest job;
    int cores;
    long memoryMib;
    long regionMask;
    int tenant;
    boolean exclusive;
    /** Lower bound on headroom / wattsPerCore a heater must have; slightly loose so it never prunes a fit. */
    double minHeadroomCores;
    double minHeatFraction;
    boolean donatedOnDatacenter;
    /** Heater trees: search the heaters already running work (true) or the others (false). */
    boolean warming;

    double bestKey;
    int bestSlot;

    void start(JobRequest job, double minHeatFraction, boolean donatedOnDatacenter) {
        this.job = job;
        this.cores = job.cores;
        this.memoryMib = job.memoryMib;
        this.regionMask = job.regionMask;
        this.tenant = job.tenant;
        this.exclusive = job.exclusive;
        this.minHeatFraction = minHeatFraction;
        this.donatedOnDatacenter = donatedOnDatacenter;
        double need = job.cores * minHeatFraction;
        this.minHeadroomCores = need - need * 1e-9;
        resetBest();
    }

    void resetBest() {
        bestKey = Double.NEGATIVE_INFINITY;
        bestSlot = Integer.MAX_VALUE;
    }

    int bestSlotOrNone() {
        return bestSlot == Integer.MAX_VALUE ? -1 : bestSlot;
    }
}
