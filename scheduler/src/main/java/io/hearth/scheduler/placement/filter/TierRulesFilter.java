package io.hearth.scheduler.placement.filter;

import io.hearth.scheduler.placement.Fleet;
import io.hearth.scheduler.placement.JobRequest;
import io.hearth.scheduler.placement.NodeKinds;
import io.hearth.scheduler.placement.Tiers;

/**
 * DONATED work runs where heat is wanted: never on data-center nodes unless the operator allows it.
 * Immutable.
 */
public final class TierRulesFilter implements PlacementFilter {
    public static final String NAME = "tier-rules";

    private final boolean donatedOnDatacenter;

    public TierRulesFilter(boolean donatedOnDatacenter) {
        this.donatedOnDatacenter = donatedOnDatacenter;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean accepts(Fleet fleet, int slot, JobRequest job) {
        return donatedOnDatacenter || job.tier != Tiers.DONATED || fleet.kind(slot) != NodeKinds.DATACENTER;
    }

    @Override
    public String phrase(JobRequest job) {
        return "data-center nodes closed to DONATED work";
    }
}
