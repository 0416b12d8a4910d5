package io.hearth.benchmarks.store;

import com.hazelcast.aggregation.Aggregators;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;
import io.hearth.api.v1.JobState;
import io.hearth.scheduler.cluster.DurableStore;
import io.hearth.scheduler.cluster.HazelcastConfigs;
import io.hearth.scheduler.cluster.JobStore;
import io.hearth.scheduler.cluster.StoredJob;
import io.hearth.scheduler.config.SchedulerOptions;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * What counting the ended jobs by state costs a member, in time, bytes allocated and heap kept:
 * one real member (journal in a temporary folder) holding {@code jobs} SUCCEEDED jobs of 700 bytes
 * each, counted six times, either as the scheduler counts ({@code store}: {@link JobStore#countInState})
 * or with Hazelcast's {@code count()} without an attribute ({@code value}), which the scheduler used
 * until round 8. One way per run, since the second reads what the first left behind.
 *
 * <pre>
 * java -Xmx3g -cp benchmarks/target/benchmarks.jar io.hearth.benchmarks.store.JobCountHeap 100000 store
 * </pre>
 */
public final class JobCountHeap {

  private JobCountHeap() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2 || !(args[1].equals("store") || args[1].equals("value"))) {
      System.err.println("usage: JobCountHeap JOBS store|value (JOBS: 1..10000000)");
      System.exit(2);
    }
    int n = Integer.parseInt(args[0]);
    if (n < 1 || n > 10_000_000) {
      System.err.println("JOBS: " + n + " (expected: 1..10000000)");
      System.exit(2);
    }
    Path dir = Files.createTempDirectory("hearth-count-heap-");
    SchedulerOptions options = SchedulerOptions.load(null, Map.of(
        "HEARTH_STORE_DATA_DIR", dir.toString(),
        "HEARTH_CLUSTER_NAME", "count-heap-" + ProcessHandle.current().pid(),
        "HEARTH_CLUSTER_PORT", "5871"));
    DurableStore durable = DurableStore.open(options);
    HazelcastInstance hz = Hazelcast.newHazelcastInstance(HazelcastConfigs.build(options, durable));
    try {
      IMap<String, StoredJob> jobs = hz.getMap(HazelcastConfigs.JOBS_MAP);
      JobStore store = new JobStore(hz, (job, encoded) -> { });
      byte[] body = new byte[700];
      Map<String, StoredJob> batch = new HashMap<>();
      for (int i = 0; i < n; i++) {
        String id = String.format("job-%016x", i);
        batch.put(id, new StoredJob(id, "tenant-" + (i % 8), JobState.JOB_STATE_SUCCEEDED_VALUE, 1, body, 1_000L + i, 0));
        if (batch.size() == 1_000 || i == n - 1) {
          jobs.putAll(batch);
          batch.clear();
        }
      }
      System.out.printf("%d SUCCEEDED jobs of %d bytes; heap after GC %.1f MB%n", jobs.size(), body.length, heapAfterGc() / 1e6);
      for (int round = 0; round < 6; round++) {
        long bytes = allocated();
        long t0 = System.nanoTime();
        long count = args[1].equals("store") ? store.countInState(JobState.JOB_STATE_SUCCEEDED)
            : jobs.aggregate(Aggregators.count(), Predicates.equal("state", JobState.JOB_STATE_SUCCEEDED_VALUE));
        long t1 = System.nanoTime();
        System.out.printf("count %d (%s): %d in %.1f ms, %.1f MB allocated%n", round, args[1], count, (t1 - t0) / 1e6,
            (allocated() - bytes) / 1e6);
      }
      System.out.printf("heap after GC %.1f MB%n", heapAfterGc() / 1e6);
    } finally {
      hz.shutdown();
      durable.close();
    }
  }

  /** Bytes allocated so far by the threads alive now (Hazelcast's threads live for the whole run). */
  private static long allocated() {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (long b : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
      sum += Math.max(0, b);
    }
    return sum;
  }

  private static long heapAfterGc() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 2; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return rt.totalMemory() - rt.freeMemory();
  }
}
