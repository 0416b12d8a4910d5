package io.hearth.scheduler.placement.filter;

import io.hearth.scheduler.placement.Fleet;
import io.hearth.scheduler.placement.JobRequest;
import io.hearth.scheduler.placement.SecurityClasses;

/** A job that requires class k runs only on nodes of class k or above. Stateless. */
public final class SecurityClassFilter implements PlacementFilter {
    public static final String NAME = "security-class";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean accepts(Fleet fleet, int slot, JobRequest job) {
        return fleet.securityClass(slot) >= job.minSecurityClass;
    }

    @Override
    public String phrase(JobRequest job) {
        return "below " + SecurityClasses.name(job.minSecurityClass);
    }
}
