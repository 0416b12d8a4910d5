package io.hearth.scheduler.placement.filter;

import io.hearth.scheduler.placement.PlacementOptions;

import java.util.List;

/** The default filter pipeline, cheapest first. Stateless factory. */
public final class Filters {
    private Filters() {}

    public static List<PlacementFilter> defaults(PlacementOptions options) {
        return List.of(
                new NodeStateFilter(),
                new SecurityClassFilter(),
                new RegionFilter(),
                new CapacityFilter(),
                new ExclusivityFilter(),
                new TierRulesFilter(options.donatedOnDatacenter()),
                new HeatHeadroomFilter(options.minHeatFraction()));
    }
}
