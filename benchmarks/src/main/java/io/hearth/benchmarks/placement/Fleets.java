package io.hearth.benchmarks.placement;

import io.hearth.scheduler.placement.JobRequest;
import io.hearth.scheduler.placement.NodeKinds;
import io.hearth.scheduler.placement.NodeSpec;
import io.hearth.scheduler.placement.PlacementEngine;
import io.hearth.scheduler.placement.PlacementOptions;
import io.hearth.scheduler.placement.SecurityClasses;
import io.hearth.scheduler.placement.Tiers;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded fleets and job queues for the placement benchmarks: 70% radiators, 15% boilers, 15%
 * data-center nodes; a winter-evening spread of heat headroom (a quarter of the rooms warm); classes,
 * regions and tenants mixed the way a bank-heavy queue would be. Not thread-safe; set-up only.
 */
final class Fleets {
    static final String[] REGIONS = {"fr-paris", "fr-lyon", "fr-nantes", "fr-lille", "fr-bordeaux",
        "fr-marseille", "be-brussels", "nl-amsterdam"};

    private Fleets() {}

    static PlacementEngine engine(int nodes, long seed) {
        PlacementEngine engine = new PlacementEngine(PlacementOptions.defaults().withInitialCapacity(nodes));
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < nodes; i++) {
            int roll = random.nextInt(100);
            String region = REGIONS[random.nextInt(REGIONS.length)];
            int slot;
            if (roll < 70) {
                int securityClass = pick(random, new int[] {20, 70, 10},
                        SecurityClasses.OPEN, SecurityClasses.SEALED, SecurityClasses.CONTROLLED);
                slot = engine.upsertNode(new NodeSpec("radiator-" + i, NodeKinds.RADIATOR, securityClass, 16, 32_768,
                        35, region, "home-" + i));
                boolean warmRoom = random.nextInt(4) == 0;
                double demand = warmRoom ? random.nextDouble(0, 200) : random.nextDouble(200, 1_500);
                engine.updateTelemetry(slot, demand, random.nextDouble(0, 300));
            } else if (roll < 85) {
                int securityClass = pick(random, new int[] {50, 50}, SecurityClasses.SEALED, SecurityClasses.CONTROLLED);
                slot = engine.upsertNode(new NodeSpec("boiler-" + i, NodeKinds.BOILER, securityClass, 32, 65_536, 30,
                        region, "plant-" + i));
                engine.updateTelemetry(slot, random.nextDouble(300, 2_500), random.nextDouble(0, 500));
            } else {
                int securityClass = pick(random, new int[] {40, 60}, SecurityClasses.OPEN, SecurityClasses.CERTIFIED);
                slot = engine.upsertNode(new NodeSpec("dc-" + i, NodeKinds.DATACENTER, securityClass, 64, 262_144, 8,
                        region, "dc-" + (i % 4)));
                engine.updateTelemetry(slot, 0, random.nextDouble(100, 400));
            }
        }
        return engine;
    }

    static JobRequest[] jobs(PlacementEngine engine, int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] tenants = new int[50];
        for (int t = 0; t < tenants.length; t++) {
            tenants[t] = engine.tenantId("tenant-" + t);
        }
        JobRequest[] jobs = new JobRequest[count];
        for (int i = 0; i < count; i++) {
            JobRequest job = new JobRequest()
                    .cores(pick(random, new int[] {40, 30, 20, 10}, 1, 2, 4, 8))
                    .memoryMib(1_024L * (1 + random.nextInt(8)))
                    .minSecurityClass(pick(random, new int[] {30, 50, 15, 5}, SecurityClasses.OPEN,
                            SecurityClasses.SEALED, SecurityClasses.CONTROLLED, SecurityClasses.CERTIFIED))
                    .tier(pick(random, new int[] {20, 40, 25, 15}, Tiers.RESERVED, Tiers.ON_DEMAND, Tiers.FLEX,
                            Tiers.DONATED))
                    .exclusive(random.nextInt(100) < 3)
                    .tenant(tenants[random.nextInt(tenants.length)]);
            if (random.nextInt(4) == 0) {
                String first = REGIONS[random.nextInt(REGIONS.length)];
                String second = REGIONS[random.nextInt(REGIONS.length)];
                job.regionMask(engine.regionMask(List.of(first, second)));
            }
            jobs[i] = job;
        }
        return jobs;
    }

    /**
     * Fails the set-up unless the index and the full scan agree on a sample of the queue and most of
     * the queue can be placed: a benchmark that measures refusals would flatter the index.
     */
    static void checkPlacements(PlacementEngine engine, JobRequest[] jobs, int sample) {
        int placed = 0;
        for (int i = 0; i < sample; i++) {
            int slot = engine.place(jobs[i]);
            int reference = engine.placeByFullScan(jobs[i]);
            if (slot != reference) {
                throw new IllegalStateException("place() chose " + slot + " but the full scan chose " + reference
                        + " for " + jobs[i]);
            }
            if (slot >= 0) {
                placed++;
            }
        }
        if (engine.place(jobs[0]) < 0 || placed < sample * 9 / 10) {
            throw new IllegalStateException("only " + placed + " of " + sample + " jobs can be placed");
        }
    }

    private static int pick(SplittableRandom random, int[] weights, int... values) {
        int total = 0;
        for (int w : weights) {
            total += w;
        }
        int roll = random.nextInt(total);
        for (int i = 0; i < weights.length; i++) {
            roll -= weights[i];
            if (roll < 0) {
                return values[i];
            }
        }
        return values[values.length - 1];
    }
}
