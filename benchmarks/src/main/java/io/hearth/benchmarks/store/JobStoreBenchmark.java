package io.hearth.benchmarks.store;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.hearth.api.v1.AttemptState;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobSpec;
import io.hearth.scheduler.cluster.DurableStore;
import io.hearth.scheduler.cluster.HazelcastConfigs;
import io.hearth.scheduler.cluster.JobStore;
import io.hearth.scheduler.config.SchedulerOptions;
import io.hearth.scheduler.job.JobLifecycle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The job state's own cost, without gRPC or placement: one embedded Hazelcast member written
 * through to the journal in a temporary folder, as the scheduler runs by default. {@code submit}
 * accepts one job (request claim and job record); {@code submitBatch} accepts 100 at once as
 * SubmitJobs does; {@code lifecycle} accepts one and takes it through ASSIGNED, RUNNING and
 * SUCCEEDED as the placer and a node's reports do. 16 threads, as many callers wait on the store in
 * the scheduler; on a 2-core machine every figure is CPU-bound, so ops/s is the inverse of the CPU
 * an operation costs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Threads(16)
public class JobStoreBenchmark {
  static final int BATCH = 100;
  private static final AtomicLong REQUESTS = new AtomicLong();

  private Path dir;
  private DurableStore durable;
  private HazelcastInstance hz;
  private JobStore store;

  @Setup(Level.Trial)
  public void start() throws IOException {
    dir = Files.createTempDirectory("hearth-store-bench-");
    SchedulerOptions options = SchedulerOptions.load(null, Map.of(
        "HEARTH_STORE_DATA_DIR", dir.toString(),
        "HEARTH_CLUSTER_NAME", "store-bench-" + ProcessHandle.current().pid(),
        "HEARTH_CLUSTER_PORT", "5851"));
    durable = DurableStore.open(options);
    hz = Hazelcast.newHazelcastInstance(HazelcastConfigs.build(options, durable));
    store = new JobStore(hz, (job, encoded) -> { });
  }

  @TearDown(Level.Trial)
  public void stop() throws IOException {
    hz.shutdown();
    durable.close();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Benchmark
  public Job submit() {
    return store.createIdempotent(fresh()).job();
  }

  @Benchmark
  @org.openjdk.jmh.annotations.OperationsPerInvocation(BATCH)
  public int submitBatch() {
    List<Job> jobs = new ArrayList<>(BATCH);
    for (int i = 0; i < BATCH; i++) {
      jobs.add(fresh());
    }
    JobStore.AcceptedBatch batch = store.createAllIdempotent(jobs);
    if (batch.failure() != null) {
      throw batch.failure();
    }
    return batch.results().size();
  }

  @Benchmark
  public Job lifecycle() {
    Job job = store.createIdempotent(fresh()).job();
    long token = store.newFencingToken();
    store.update(job.getJobId(), j -> JobLifecycle.assign(j, "node-1", token, Instant.now()));
    store.update(job.getJobId(), j -> JobLifecycle.applyUpdate(j, "node-1", token,
        AttemptState.ATTEMPT_STATE_RUNNING, 0, "", Instant.now()).job());
    return store.update(job.getJobId(), j -> JobLifecycle.applyUpdate(j, "node-1", token,
        AttemptState.ATTEMPT_STATE_SUCCEEDED, 0, "", Instant.now()).job());
  }

  private Job fresh() {
    JobSpec spec = io.hearth.benchmarks.load.LoadMain.spec("bench-" + REQUESTS.incrementAndGet());
    return JobLifecycle.accepted(store.newJobId(), "tenant/bench", spec, Instant.now());
  }
}
