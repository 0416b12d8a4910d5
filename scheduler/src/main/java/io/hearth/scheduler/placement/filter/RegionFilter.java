package io.hearth.scheduler.placement.filter;

import io.hearth.scheduler.placement.Fleet;
import io.hearth.scheduler.placement.JobRequest;

/** A job with a region mask runs only in those regions; mask 0 allows any region. Stateless. */
public final class RegionFilter implements PlacementFilter {
    public static final String NAME = "region";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean accepts(Fleet fleet, int slot, JobRequest job) {
        return job.regionMask == 0 || (fleet.regionBit(slot) & job.regionMask) != 0;
    }

    @Override
    public String phrase(JobRequest job) {
        return "outside the allowed regions";
    }
}
