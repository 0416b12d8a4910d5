package io.hearth.scheduler.job;

import io.hearth.api.v1.ArrayStatus;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.JobState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Array jobs as pure functions: the instances of an array job (each a job of its own with id
 * {@code <array job id>.<index>}, placed like any job) and the array job's aggregate of their
 * states. The array job itself is never placed; its state follows its instances: QUEUED (or
 * BLOCKED) until an instance runs, RUNNING while any runs or some ended and others remain,
 * SUCCEEDED when all succeeded, else the terminal state of the lowest-indexed unsuccessful
 * instance once all have ended. Stateless.
 */
public final class ArrayJobs {

  public static final int MAX_INSTANCES = 10_000;
  public static final int MAX_UNSUCCESSFUL_LISTED = 100;
  public static final String INSTANCE_ID_ENV = "HEARTH_INSTANCE_ID";
  public static final String INSTANCE_COUNT_ENV = "HEARTH_INSTANCE_COUNT";

  private ArrayJobs() {}

  public static boolean isArray(JobSpec spec) {
    return spec.getInstances() > 1;
  }

  public static String instanceId(String arrayJobId, int index) {
    return arrayJobId + "." + index;
  }

  /**
   * The array job record and its instances, all in {@code state} (QUEUED, or BLOCKED when the array
   * waits for parents). Instances carry no dependencies of their own (the array job holds them) and
   * see their index and the count in their environment.
   */
  public static List<Job> instances(Job array) {
    JobSpec spec = array.getSpec();
    int n = spec.getInstances();
    List<Job> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      JobSpec.Builder s = spec.toBuilder().clearInstances().clearDependsOn();
      s.getWorkloadBuilder().putEnvironment(INSTANCE_ID_ENV, Integer.toString(i))
          .putEnvironment(INSTANCE_COUNT_ENV, Integer.toString(n));
      Job.Builder j = array.toBuilder().clearArray().clearAttempts().clearPending().clearEnergy()
          .setJobId(instanceId(array.getJobId(), i)).setSpec(s).setArrayJobId(array.getJobId()).setInstanceIndex(i);
      if (array.getState() != JobState.JOB_STATE_BLOCKED) {
        // Created late (a retried submission repairing a half-stored array): such an instance starts queued.
        j.setState(JobState.JOB_STATE_QUEUED).setStateReason("").setQueuedAt(array.getUpdatedAt());
      }
      out.add(j.build());
    }
    return out;
  }

  /** The array job record as created: counts with every instance in the array's own state. */
  public static Job withInitialStatus(Job array) {
    ArrayStatus.Builder a = ArrayStatus.newBuilder().setInstances(array.getSpec().getInstances());
    if (array.getState() == JobState.JOB_STATE_BLOCKED) {
      a.setBlocked(array.getSpec().getInstances());
    } else {
      a.setQueued(array.getSpec().getInstances());
    }
    return array.toBuilder().setArray(a).build();
  }

  /**
   * The array job after its instances' current states, or null when nothing changes. An array job
   * already in a terminal state (cancelled, or failed because a parent failed) keeps its state and
   * reason; only its counts move.
   */
  public static Job aggregate(Job array, Collection<Job> instances, Instant now) {
    int total = array.getSpec().getInstances();
    ArrayStatus.Builder a = ArrayStatus.newBuilder().setInstances(total);
    Job firstUnsuccessful = null;
    int ended = 0;
    List<Job> sorted = new ArrayList<>(instances);
    sorted.sort((x, y) -> Integer.compare(x.getInstanceIndex(), y.getInstanceIndex()));
    for (Job j : sorted) {
      switch (j.getState()) {
        case JOB_STATE_BLOCKED -> a.setBlocked(a.getBlocked() + 1);
        case JOB_STATE_QUEUED -> a.setQueued(a.getQueued() + 1);
        case JOB_STATE_ASSIGNED, JOB_STATE_RUNNING -> a.setRunning(a.getRunning() + 1);
        case JOB_STATE_SUCCEEDED -> a.setSucceeded(a.getSucceeded() + 1);
        case JOB_STATE_FAILED -> a.setFailed(a.getFailed() + 1);
        case JOB_STATE_CANCELLED -> a.setCancelled(a.getCancelled() + 1);
        case JOB_STATE_EXPIRED -> a.setExpired(a.getExpired() + 1);
        default -> { }
      }
      if (JobLifecycle.isTerminal(j.getState())) {
        ended++;
        if (j.getState() != JobState.JOB_STATE_SUCCEEDED) {
          if (firstUnsuccessful == null) {
            firstUnsuccessful = j;
          }
          if (a.getUnsuccessfulInstancesCount() < MAX_UNSUCCESSFUL_LISTED) {
            a.addUnsuccessfulInstances(j.getInstanceIndex());
          }
        }
      }
    }
    Job.Builder b = array.toBuilder().setArray(a);
    if (!JobLifecycle.isTerminal(array.getState())) {
      if (ended == total && instances.size() == total) {
        if (firstUnsuccessful == null) {
          b.setState(JobState.JOB_STATE_SUCCEEDED).setStateReason("");
        } else {
          b.setState(firstUnsuccessful.getState()).setStateReason("instance " + firstUnsuccessful.getInstanceIndex()
              + " ended " + firstUnsuccessful.getState().name().substring("JOB_STATE_".length())
              + (firstUnsuccessful.getStateReason().isEmpty() ? "" : ": " + firstUnsuccessful.getStateReason()));
        }
      } else if (a.getRunning() > 0 || ended > 0) {
        b.setState(JobState.JOB_STATE_RUNNING);
      } else if (array.getState() == JobState.JOB_STATE_BLOCKED) {
        // Only the array's own dependencies release it (then its instances, one by one).
        b.setState(JobState.JOB_STATE_BLOCKED);
      } else {
        b.setState(JobState.JOB_STATE_QUEUED);
      }
    }
    Job after = b.build();
    if (after.getState() == array.getState() && after.getArray().equals(array.getArray())) {
      return null;
    }
    return after.toBuilder().setUpdatedAt(JobLifecycle.timestamp(now)).build();
  }
}
