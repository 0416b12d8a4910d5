package io.hearth.benchmarks.placement;

import io.hearth.scheduler.placement.JobRequest;
import io.hearth.scheduler.placement.PlacementEngine;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A placement cycle: 1,000 queued jobs each placed and reserved, so every decision sees the
 * reservations of the ones before it. The set-up of each invocation releases the previous cycle's
 * reservations (not timed; an invocation lasts far longer than the set-up's timestamps). Single-threaded.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BatchPlacementBenchmark {
    private static final int BATCH = 1_000;

    @Param({"1000", "10000", "100000"})
    public int nodes;

    private PlacementEngine engine;
    private JobRequest[] jobs;
    private final long[] reserved = new long[BATCH];
    private int reservedCount;
    private long nextReservationId = 1;

    @Setup(Level.Trial)
    public void setUp() {
        engine = Fleets.engine(nodes, 42);
        jobs = Fleets.jobs(engine, BATCH, 7);
        Fleets.checkPlacements(engine, jobs, 64);
        int placed = placeBatch();
        if (placed < BATCH / 2) {
            throw new IllegalStateException("only " + placed + " of " + BATCH + " jobs placed");
        }
    }

    @Setup(Level.Invocation)
    public void releasePreviousBatch() {
        for (int i = 0; i < reservedCount; i++) {
            engine.unreserve(reserved[i]);
        }
        reservedCount = 0;
    }

    /** Returns the number of jobs placed; the rest stay queued. */
    @Benchmark
    public int placeAndReserveBatch() {
        return placeBatch();
    }

    private int placeBatch() {
        PlacementEngine e = engine;
        int placed = 0;
        for (JobRequest job : jobs) {
            int slot = e.place(job);
            long id = nextReservationId++;
            if (slot >= 0 && e.reserve(slot, id, job)) {
                reserved[reservedCount++] = id;
                placed++;
            }
        }
        return placed;
    }
}
