package io.hearth.scheduler.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import io.hearth.api.v1.Job;
import io.hearth.scheduler.job.JobLifecycle;

/**
 * How a job lives in the Hazelcast {@code hearth.jobs} map: the {@code Job} protobuf as bytes, with
 * the few fields that queries and indexes need copied beside it (Compact serialization reads them
 * without decoding the job). {@code endedAt} and {@code instances} are derived from the job, so
 * the durable stores do not keep them.
 *
 * @param endedAt when the job ended (its last update), epoch milliseconds, for the retention sweep;
 *     0 while it is live, and for an array job's instances, which are deleted with their array job.
 * @param instances the instances of an array job's own record (2 or more), else 0: the leader's
 *     reconciliation finds the live array jobs by it without decoding every live job.
 */
public record StoredJob(String jobId, String owner, int state, int tier, byte[] job, long endedAt, int instances) {

  /** A record read back from a durable store: the derived fields are read from the job. */
  public StoredJob(String jobId, String owner, int state, int tier, byte[] job) {
    this(jobId, owner, state, tier, job, parse(job));
  }

  private StoredJob(String jobId, String owner, int state, int tier, byte[] job, Job parsed) {
    this(jobId, owner, state, tier, job, parsed == null ? 0 : endedAt(parsed), parsed == null ? 0 : instances(parsed));
  }

  static StoredJob of(Job job) {
    return new StoredJob(job.getJobId(), job.getOwner(), job.getStateValue(), job.getSpec().getTierValue(),
        job.toByteArray(), endedAt(job), instances(job));
  }

  private static int instances(Job job) {
    return job.hasArray() ? job.getSpec().getInstances() : 0;
  }

  static long endedAt(Job job) {
    if (!JobLifecycle.isTerminal(job.getState()) || !job.getArrayJobId().isEmpty()) {
      return 0;
    }
    return Math.max(1, job.getUpdatedAt().getSeconds() * 1000 + job.getUpdatedAt().getNanos() / 1_000_000);
  }

  private static Job parse(byte[] job) {
    try {
      return Job.parseFrom(job);
    } catch (InvalidProtocolBufferException e) {
      // Kept as it is: reading the job reports the corruption with its id.
      return null;
    }
  }
}
