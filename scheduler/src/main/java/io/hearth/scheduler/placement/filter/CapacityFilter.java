package io.hearth.scheduler.placement.filter;

import io.hearth.scheduler.placement.Fleet;
import io.hearth.scheduler.placement.JobRequest;

/** The node has the job's cores and memory free after what is already reserved there. Stateless. */
public final class CapacityFilter implements PlacementFilter {
    public static final String NAME = "capacity";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean accepts(Fleet fleet, int slot, JobRequest job) {
        return fleet.freeCores(slot) >= job.cores && fleet.freeMemoryMib(slot) >= job.memoryMib;
    }

    @Override
    public String phrase(JobRequest job) {
        return "without enough free cores or memory";
    }
}
