package io.hearth.scheduler.placement.filter;

import io.hearth.scheduler.placement.Fleet;
import io.hearth.scheduler.placement.JobRequest;

/**
 * A heater node takes a job only if the room or tank wants at least the job's heat (times the
 * configured fraction); a warm room gets nothing. Data-center nodes pass: they are fallback capacity.
 * Immutable.
 */
public final class HeatHeadroomFilter implements PlacementFilter {
    public static final String NAME = "heat-headroom";

    private final double minHeatFraction;

    public HeatHeadroomFilter(double minHeatFraction) {
        this.minHeatFraction = minHeatFraction;
    }

    /** The rule itself, shared with the engine's index so both decide alike to the last bit. */
    public static boolean hasHeadroom(double headroomWatts, int cores, double wattsPerCore, double minHeatFraction) {
        return headroomWatts >= cores * wattsPerCore * minHeatFraction;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean accepts(Fleet fleet, int slot, JobRequest job) {
        return !fleet.isHeater(slot)
                || hasHeadroom(fleet.headroomWatts(slot), job.cores, fleet.wattsPerCore(slot), minHeatFraction);
    }

    @Override
    public String phrase(JobRequest job) {
        return "without heat headroom";
    }
}
