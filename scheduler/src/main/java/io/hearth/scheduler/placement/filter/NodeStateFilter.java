package io.hearth.scheduler.placement.filter;

import io.hearth.scheduler.placement.Fleet;
import io.hearth.scheduler.placement.JobRequest;
import io.hearth.scheduler.placement.NodeStates;

/** Only READY nodes receive work; draining and lost nodes keep what they hold but take nothing new. Stateless. */
public final class NodeStateFilter implements PlacementFilter {
    public static final String NAME = "node-state";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean accepts(Fleet fleet, int slot, JobRequest job) {
        return fleet.state(slot) == NodeStates.READY;
    }

    @Override
    public String phrase(JobRequest job) {
        return "not ready";
    }
}
