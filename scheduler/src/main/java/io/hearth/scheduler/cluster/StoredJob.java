package io.hearth.scheduler.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobState;
import io.hearth.scheduler.job.JobLifecycle;

/**
 * How a job lives in the Hazelcast {@code hearth.jobs} map: the {@code Job} protobuf as bytes, with
 * the few fields that queries and indexes need copied beside it (Compact serialization reads them
 * without decoding the job).
 *
 * @param endedAt when the job ended (its last update), epoch milliseconds, for the retention sweep;
 *     0 while it is live, and for an array job's instances, which are deleted with their array job.
 *     Derived from the job, so the durable stores do not keep it.
 */
public record StoredJob(String jobId, String owner, int state, int tier, byte[] job, long endedAt) {

  /** A record read back from a durable store: {@code endedAt} is read from the job when it ended. */
  public StoredJob(String jobId, String owner, int state, int tier, byte[] job) {
    this(jobId, owner, state, tier, job, endedAt(state, job));
  }

  static StoredJob of(Job job) {
    return new StoredJob(job.getJobId(), job.getOwner(), job.getStateValue(), job.getSpec().getTierValue(),
        job.toByteArray(), endedAt(job));
  }

  static long endedAt(Job job) {
    if (!JobLifecycle.isTerminal(job.getState()) || !job.getArrayJobId().isEmpty()) {
      return 0;
    }
    return Math.max(1, job.getUpdatedAt().getSeconds() * 1000 + job.getUpdatedAt().getNanos() / 1_000_000);
  }

  private static long endedAt(int state, byte[] job) {
    JobState s = JobState.forNumber(state);
    if (s == null || !JobLifecycle.isTerminal(s)) {
      return 0;
    }
    try {
      return endedAt(Job.parseFrom(job));
    } catch (InvalidProtocolBufferException e) {
      // Kept: reading the job reports the corruption with its id.
      return 0;
    }
  }
}
