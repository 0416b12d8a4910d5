package io.hearth.benchmarks.placement;

import io.hearth.scheduler.placement.JobRequest;
import io.hearth.scheduler.placement.PlacementEngine;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One placement decision and one telemetry report on a steady fleet: the indexed
 * {@link PlacementEngine#place}, the full filter pipeline over every node as the in-run baseline, and
 * {@link PlacementEngine#updateTelemetry}. Each call takes the next job (or report) of a seeded
 * queue, so branch prediction cannot learn one answer. Single-threaded, like the engine.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PlacementBenchmark {
    private static final int QUEUE = 1 << 10;
    private static final int REPORTS = 1 << 12;

    @Param({"1000", "10000", "100000"})
    public int nodes;

    private PlacementEngine engine;
    private JobRequest[] jobs;
    private int nextJob;

    private int[] reportSlots;
    private double[] reportDemand;
    private double[] reportDemandAfter;
    private double[] reportDraw;
    private int nextReport;

    @Setup
    public void setUp() {
        engine = Fleets.engine(nodes, 42);
        jobs = Fleets.jobs(engine, QUEUE, 7);
        Fleets.checkPlacements(engine, jobs, 64);
        SplittableRandom random = new SplittableRandom(11);
        reportSlots = new int[REPORTS];
        reportDemand = new double[REPORTS];
        reportDemandAfter = new double[REPORTS];
        reportDraw = new double[REPORTS];
        for (int i = 0; i < REPORTS; i++) {
            int slot = random.nextInt(nodes);
            reportSlots[i] = slot;
            // The next report of a node: its demand drifts by 1 to 100 W either way. Passes over the reports
            // alternate between two demands, so every report really changes the node's headroom.
            double demand = engine.fleet().heatDemandWatts(slot);
            reportDemand[i] = Math.max(0, demand + random.nextDouble(-100, -1));
            reportDemandAfter[i] = demand + random.nextDouble(1, 100);
            reportDraw[i] = engine.fleet().computeDrawWatts(slot);
        }
    }

    @Benchmark
    public int place() {
        JobRequest job = jobs[nextJob++ & (QUEUE - 1)];
        return engine.place(job);
    }

    @Benchmark
    public int placeByFullScan() {
        JobRequest job = jobs[nextJob++ & (QUEUE - 1)];
        return engine.placeByFullScan(job);
    }

    @Benchmark
    public double updateTelemetry() {
        int n = nextReport++;
        int i = n & (REPORTS - 1);
        int slot = reportSlots[i];
        double demand = (n & REPORTS) == 0 ? reportDemand[i] : reportDemandAfter[i];
        engine.updateTelemetry(slot, demand, reportDraw[i]);
        return engine.headroomWatts(slot);
    }
}
