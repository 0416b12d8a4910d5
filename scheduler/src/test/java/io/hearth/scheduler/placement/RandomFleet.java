package io.hearth.scheduler.placement;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Drives one engine through a random but seeded life: a small fleet, then a stream of placements
 * with reserves, releases, telemetry, state changes and re-announcements. It keeps its own model of
 * the reservations so that invariants are checked against it rather than against the engine's books.
 * Values come from small sets so that ties, exact fits and empty nodes are common.
 */
final class RandomFleet {

    /** What a check sees at each placement. */
    interface Decision {
        void check(RandomFleet fleet, JobRequest job, int indexed);
    }

    record Held(long id, int slot, int cores, long memoryMib, int tenant, boolean exclusive) {}

    private static final int[] CORES = {1, 2, 4, 8, 16};
    private static final long[] MEMORY = {1024, 4096, 16_384};
    private static final double[] WATTS_PER_CORE = {50, 100, 150, 150.5};
    private static final double[] DEMAND = {0, 100, 300, 600, 900, 1200, 2400};
    private static final double[] DRAW = {0, 50, 100, 300};
    private static final String[] REGIONS = {"paris", "lyon", "nantes"};

    final Random random;
    final PlacementEngine engine;
    final PlacementOptions options;
    final Map<Long, Held> held = new LinkedHashMap<>();
    final List<Integer> decisions = new ArrayList<>();
    final int nodes;
    private long nextId = 1;

    RandomFleet(long seed, int nodes) {
        this.random = new Random(seed);
        this.nodes = nodes;
        this.options = PlacementOptions.defaults()
                .withMinHeatFraction(new double[] {0, 0.5, 1.0, 1.0}[random.nextInt(4)])
                .withDonatedOnDatacenter(random.nextInt(3) == 0)
                .withInitialCapacity(1 + random.nextInt(8));
        this.engine = new PlacementEngine(options);
        for (int i = 0; i < nodes; i++) {
            engine.upsertNode(spec(i, CORES[random.nextInt(CORES.length)], MEMORY[random.nextInt(MEMORY.length)]));
            telemetry(i);
        }
    }

    private NodeSpec spec(int i, int cores, long memory) {
        return new NodeSpec("node-" + i, 1 + random.nextInt(3), 1 + random.nextInt(4), cores, memory,
                WATTS_PER_CORE[random.nextInt(WATTS_PER_CORE.length)], REGIONS[random.nextInt(REGIONS.length)], "site");
    }

    private void telemetry(int slot) {
        engine.updateTelemetry(slot, DEMAND[random.nextInt(DEMAND.length)], DRAW[random.nextInt(DRAW.length)]);
    }

    JobRequest randomJob() {
        JobRequest job = new JobRequest()
                .cores(CORES[random.nextInt(3)])
                .memoryMib(random.nextInt(4) == 0 ? 0 : MEMORY[random.nextInt(MEMORY.length)])
                .minSecurityClass(1 + random.nextInt(4))
                .tier(1 + random.nextInt(4))
                .exclusive(random.nextInt(4) == 0)
                .tenant(random.nextInt(4));
        if (random.nextInt(3) == 0) {
            job.regionMask(engine.regionMask(List.of(REGIONS[random.nextInt(REGIONS.length)])));
        }
        return job;
    }

    /** Runs the steps, calling {@code check} at every placement and {@code afterEach} after every step. */
    void run(int steps, Decision check, Runnable afterEach) {
        for (int step = 0; step < steps; step++) {
            int op = random.nextInt(20);
            if (op < 10) {
                JobRequest job = randomJob();
                int slot = engine.place(job);
                decisions.add(slot);
                check.check(this, job, slot);
                if (slot >= 0 && random.nextInt(5) > 0) {
                    reserve(slot, job, true);
                }
            } else if (op < 12) {
                // A reserve the placement did not suggest: must still refuse what does not fit.
                reserve(random.nextInt(nodes), randomJob(), false);
            } else if (op < 15 && !held.isEmpty()) {
                long id = new ArrayList<>(held.keySet()).get(random.nextInt(held.size()));
                if (!engine.unreserve(id)) {
                    throw new AssertionError("unreserve(" + id + ") released nothing");
                }
                held.remove(id);
                if (engine.unreserve(id)) {
                    throw new AssertionError("unreserve(" + id + ") released twice");
                }
            } else if (op < 18) {
                telemetry(random.nextInt(nodes));
            } else if (op < 19) {
                engine.setNodeState(random.nextInt(nodes), 1 + random.nextInt(3) / 2 * (1 + random.nextInt(2)));
            } else {
                // Re-announced with other static attributes (same cores and memory, so capacity holds).
                int slot = random.nextInt(nodes);
                int before = engine.upsertNode(spec(slot, engine.fleet().cores(slot), engine.fleet().memoryMib(slot)));
                if (before != slot) {
                    throw new AssertionError("slot moved from " + slot + " to " + before);
                }
            }
            afterEach.run();
        }
    }

    private void reserve(int slot, JobRequest job, boolean suggested) {
        long id = nextId++;
        boolean fits = engine.placeByFullScan(job) >= 0 && new PipelineCheck(engine).passes(slot, job);
        boolean reserved = engine.reserve(slot, id, job);
        if (reserved != fits) {
            throw new AssertionError("reserve(" + slot + ", " + job + ") = " + reserved + " but the pipeline says "
                    + fits + (suggested ? " right after place() chose it" : ""));
        }
        if (reserved) {
            held.put(id, new Held(id, slot, job.cores, job.memoryMib, job.tenant, job.exclusive));
            if (!engine.reserve(slot, id, job)) {
                throw new AssertionError("a repeated reserve(" + id + ") returned false");
            }
        }
    }

    /** Every filter of the engine's pipeline on one node. */
    record PipelineCheck(PlacementEngine engine) {
        boolean passes(int slot, JobRequest job) {
            for (var filter : engine.filters()) {
                if (!filter.accepts(engine.fleet(), slot, job)) {
                    return false;
                }
            }
            return true;
        }
    }
}
