package io.hearth.benchmarks.load;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Submit -> assigned latency, measured where it ends: a simulated node receiving the Assignment.
 * The submitter knows the job id only from the response, which may arrive after the assignment,
 * so the two halves meet in one map keyed by job id, whichever comes first waiting for the other.
 * Times are {@link System#nanoTime()} of this JVM (nodes and clients share it). Thread-safe.
 */
final class AssignLatency {
  private final ConcurrentHashMap<String, Half> pending = new ConcurrentHashMap<>();
  private final AtomicLong assigned = new AtomicLong();
  private final AtomicLong submitted = new AtomicLong();
  private final Recorder recorder = new Recorder(3);

  /** The submitter's half: the job was submitted at {@code submittedNanos}. */
  void submitted(String jobId, long submittedNanos) {
    submitted.incrementAndGet();
    meet(jobId, submittedNanos, true);
  }

  /** The node's half: the assignment of {@code jobId} arrived now. */
  void assigned(String jobId) {
    assigned.incrementAndGet();
    meet(jobId, System.nanoTime(), false);
  }

  private void meet(String jobId, long nanos, boolean submit) {
    Half mine = new Half(nanos, submit);
    Half[] other = new Half[1];
    pending.compute(jobId, (k, v) -> {
      if (v == null) {
        return mine;
      }
      if (v.submit() == submit) {
        return v; // a duplicate half (a job assigned twice): keep the first
      }
      other[0] = v;
      return null;
    });
    if (other[0] != null) {
      long sub = submit ? nanos : other[0].nanos();
      long asg = submit ? other[0].nanos() : nanos;
      recorder.recordValue(Math.max(0, (asg - sub) / 1000));
    }
  }

  private record Half(long nanos, boolean submit) {}

  /** Jobs accepted since the start. */
  long submittedCount() {
    return submitted.get();
  }

  /** Jobs accepted and not yet assigned (every job of the run is this client's). */
  long backlog() {
    return Math.max(0, submitted.get() - assigned.get());
  }

  /** Assignments received by all nodes since the start. */
  long assignedCount() {
    return assigned.get();
  }

  /** The latencies (microseconds) since the last call, and forgets jobs whose other half never came. */
  Histogram takeInterval() {
    Histogram h = recorder.getIntervalHistogram();
    pending.clear();
    return h;
  }
}
