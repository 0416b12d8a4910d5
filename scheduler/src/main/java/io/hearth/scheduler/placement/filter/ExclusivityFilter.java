package io.hearth.scheduler.placement.filter;

import io.hearth.scheduler.placement.Fleet;
import io.hearth.scheduler.placement.JobRequest;

/**
 * No co-tenancy for exclusive work: an exclusive job needs a node that holds no other tenant's
 * reservation, and no job goes to a node that holds another tenant's exclusive reservation. Stateless.
 */
public final class ExclusivityFilter implements PlacementFilter {
    public static final String NAME = "exclusivity";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean accepts(Fleet fleet, int slot, JobRequest job) {
        int owner = fleet.owner(slot);
        if (owner == job.tenant || owner == Fleet.NO_OWNER) {
            return true;
        }
        return !job.exclusive && !fleet.exclusivelyHeld(slot);
    }

    @Override
    public String phrase(JobRequest job) {
        return job.exclusive ? "shared with another tenant" : "held by another tenant's exclusive job";
    }
}
