package io.hearth.scheduler.placement;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Invariants of placement over random fleets of 1-40 nodes and random streams of jobs, reserves,
 * releases, telemetry, state changes and re-announcements (see {@link RandomFleet}).
 */
class PlacementPropertiesTest {
    private static final int TRIES = 10_000;
    private static final RandomFleet.Decision NO_CHECK = (fleet, job, slot) -> {};
    private static final Runnable NOTHING = () -> {};

    @Property(tries = TRIES)
    void indexedPlacementEqualsTheFullPipelineScanOnEveryStep(@ForAll long seed,
            @ForAll @IntRange(min = 1, max = 40) int nodes, @ForAll @IntRange(min = 1, max = 60) int steps) {
        RandomFleet fleet = new RandomFleet(seed, nodes);
        fleet.run(steps, (f, job, slot) -> assertThat(slot)
                .as("place(%s) vs the full scan", job)
                .isEqualTo(f.engine.placeByFullScan(job)), NOTHING);
    }

    @Property(tries = TRIES)
    void neverPlacesBelowTheRequiredSecurityClass(@ForAll long seed,
            @ForAll @IntRange(min = 1, max = 40) int nodes, @ForAll @IntRange(min = 1, max = 60) int steps) {
        RandomFleet fleet = new RandomFleet(seed, nodes);
        fleet.run(steps, (f, job, slot) -> {
            if (slot >= 0) {
                assertThat(f.engine.fleet().securityClass(slot)).isGreaterThanOrEqualTo(job.minSecurityClass);
            }
        }, NOTHING);
    }

    @Property(tries = TRIES)
    void neverOvercommitsCoresOrMemory(@ForAll long seed,
            @ForAll @IntRange(min = 1, max = 40) int nodes, @ForAll @IntRange(min = 1, max = 60) int steps) {
        RandomFleet fleet = new RandomFleet(seed, nodes);
        Fleet view = fleet.engine.fleet();
        fleet.run(steps, (f, job, slot) -> {
            if (slot >= 0) {
                assertThat(view.freeCores(slot)).isGreaterThanOrEqualTo(job.cores);
                assertThat(view.freeMemoryMib(slot)).isGreaterThanOrEqualTo(job.memoryMib);
            }
        }, () -> {
            int[] cores = new int[nodes];
            long[] memory = new long[nodes];
            for (RandomFleet.Held h : fleet.held.values()) {
                cores[h.slot()] += h.cores();
                memory[h.slot()] += h.memoryMib();
            }
            for (int slot = 0; slot < nodes; slot++) {
                assertThat(cores[slot]).as("cores held on %d", slot).isLessThanOrEqualTo(view.cores(slot));
                assertThat(memory[slot]).as("memory held on %d", slot).isLessThanOrEqualTo(view.memoryMib(slot));
                assertThat(fleet.engine.freeCores(slot)).isEqualTo(view.cores(slot) - cores[slot]);
                assertThat(fleet.engine.freeMemoryMib(slot)).isEqualTo(view.memoryMib(slot) - memory[slot]);
            }
        });
    }

    @Property(tries = TRIES)
    void neverPlacesOnADrainingOrLostNode(@ForAll long seed,
            @ForAll @IntRange(min = 1, max = 40) int nodes, @ForAll @IntRange(min = 1, max = 60) int steps) {
        RandomFleet fleet = new RandomFleet(seed, nodes);
        fleet.run(steps, (f, job, slot) -> {
            if (slot >= 0) {
                assertThat(f.engine.nodeState(slot)).isEqualTo(NodeStates.READY);
            }
        }, NOTHING);
    }

    @Property(tries = TRIES)
    void neverPutsAnExclusiveJobBesideAnotherTenantsWork(@ForAll long seed,
            @ForAll @IntRange(min = 1, max = 40) int nodes, @ForAll @IntRange(min = 1, max = 60) int steps) {
        RandomFleet fleet = new RandomFleet(seed, nodes);
        fleet.run(steps, NO_CHECK, () -> {
            for (RandomFleet.Held exclusive : fleet.held.values()) {
                if (!exclusive.exclusive()) {
                    continue;
                }
                for (RandomFleet.Held other : fleet.held.values()) {
                    if (other.slot() == exclusive.slot()) {
                        assertThat(other.tenant()).as("tenants on node %d", other.slot())
                                .isEqualTo(exclusive.tenant());
                    }
                }
            }
        });
    }

    @Property(tries = TRIES)
    void neverPlacesDonatedWorkOnADatacenterUnlessPolicyAllows(@ForAll long seed,
            @ForAll @IntRange(min = 1, max = 40) int nodes, @ForAll @IntRange(min = 1, max = 60) int steps) {
        RandomFleet fleet = new RandomFleet(seed, nodes);
        fleet.run(steps, (f, job, slot) -> {
            if (slot >= 0 && job.tier == Tiers.DONATED && !f.options.donatedOnDatacenter()) {
                assertThat(f.engine.fleet().kind(slot)).isNotEqualTo(NodeKinds.DATACENTER);
            }
        }, NOTHING);
    }

    @Property(tries = TRIES)
    void identicalInputsGiveIdenticalDecisions(@ForAll long seed,
            @ForAll @IntRange(min = 1, max = 40) int nodes, @ForAll @IntRange(min = 1, max = 60) int steps) {
        RandomFleet first = new RandomFleet(seed, nodes);
        first.run(steps, NO_CHECK, NOTHING);
        RandomFleet second = new RandomFleet(seed, nodes);
        second.run(steps, NO_CHECK, NOTHING);
        assertThat(second.decisions).isEqualTo(first.decisions);
    }
}
