package io.hearth.scheduler.job;

import com.google.protobuf.Timestamp;
import io.hearth.api.v1.Attempt;
import io.hearth.api.v1.AttemptState;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.PendingReason;
import java.time.Instant;

/**
 * The job state machine as pure functions from one {@link Job} record to the next:
 * [BLOCKED ->] QUEUED -> ASSIGNED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED | EXPIRED, with a preempted,
 * lost or failed attempt returning the job to QUEUED while attempts remain. A job that depends on
 * others starts BLOCKED and is released to the queue, or failed, by {@link Dependencies}. Each attempt carries a
 * fencing token; only a report quoting the current attempt's token changes anything.
 * Stateless; callers apply the result with a compare-and-set on the cluster state.
 */
public final class JobLifecycle {

  private JobLifecycle() {}

  /** The outcome of a node's report: the new record, or why the report was refused. */
  public record UpdateResult(Job job, boolean accepted, boolean attemptEnded, String refusal, boolean energyRecorded) {
    UpdateResult(Job job, boolean accepted, boolean attemptEnded, String refusal) {
      this(job, accepted, attemptEnded, refusal, false);
    }

    static UpdateResult refused(Job job, String why) {
      return new UpdateResult(job, false, false, why);
    }
  }

  public static Job queued(String jobId, String owner, JobSpec spec, Instant now) {
    Timestamp t = timestamp(now);
    return Job.newBuilder()
        .setJobId(jobId)
        .setOwner(owner)
        .setSpec(spec)
        .setState(JobState.JOB_STATE_QUEUED)
        .setCreatedAt(t)
        .setUpdatedAt(t)
        .setQueuedAt(t)
        .build();
  }

  /** A new job: BLOCKED when it depends on other jobs, else QUEUED. */
  public static Job accepted(String jobId, String owner, JobSpec spec, Instant now) {
    Job q = queued(jobId, owner, spec, now);
    if (spec.getDependsOnCount() == 0) {
      return q;
    }
    return q.toBuilder().setState(JobState.JOB_STATE_BLOCKED).clearQueuedAt()
        .setStateReason("waiting for " + spec.getDependsOnCount() + " parent job" + (spec.getDependsOnCount() == 1 ? "" : "s"))
        .build();
  }

  /** BLOCKED -> QUEUED once its parents ended as required; null when the job is not BLOCKED. */
  public static Job release(Job job, Instant now) {
    if (job.getState() != JobState.JOB_STATE_BLOCKED) {
      return null;
    }
    Timestamp t = timestamp(now);
    return job.toBuilder().setState(JobState.JOB_STATE_QUEUED).setStateReason("").setQueuedAt(t).setUpdatedAt(t).build();
  }

  /** BLOCKED -> FAILED because a parent ended otherwise than required; null when the job is not BLOCKED. */
  public static Job failBlocked(Job job, String reason, Instant now) {
    if (job.getState() != JobState.JOB_STATE_BLOCKED) {
      return null;
    }
    return job.toBuilder().setState(JobState.JOB_STATE_FAILED).setStateReason(reason).setUpdatedAt(timestamp(now)).build();
  }

  public static boolean isTerminal(JobState s) {
    return s == JobState.JOB_STATE_SUCCEEDED || s == JobState.JOB_STATE_FAILED
        || s == JobState.JOB_STATE_CANCELLED || s == JobState.JOB_STATE_EXPIRED;
  }

  public static boolean isEnded(AttemptState s) {
    return s != AttemptState.ATTEMPT_STATE_ASSIGNED && s != AttemptState.ATTEMPT_STATE_RUNNING
        && s != AttemptState.ATTEMPT_STATE_UNSPECIFIED;
  }

  /** Attempts that count against max_attempts: the job's own failures and lost nodes, not preemptions. */
  public static int countedAttempts(Job job) {
    int n = 0;
    for (Attempt a : job.getAttemptsList()) {
      if (a.getState() != AttemptState.ATTEMPT_STATE_PREEMPTED) {
        n++;
      }
    }
    return n;
  }

  /** QUEUED -> ASSIGNED with a new attempt on {@code nodeId}; null when the job is not QUEUED. */
  public static Job assign(Job job, String nodeId, long fencingToken, Instant now) {
    if (job.getState() != JobState.JOB_STATE_QUEUED) {
      return null;
    }
    Timestamp t = timestamp(now);
    Attempt attempt = Attempt.newBuilder()
        .setNumber(job.getAttemptsCount() + 1)
        .setNodeId(nodeId)
        .setFencingToken(fencingToken)
        .setState(AttemptState.ATTEMPT_STATE_ASSIGNED)
        .setAssignedAt(t)
        .build();
    return job.toBuilder()
        .setState(JobState.JOB_STATE_ASSIGNED)
        .addAttempts(attempt)
        .clearPending()
        .setUpdatedAt(t)
        .build();
  }

  /**
   * Applies a node's report on an attempt. Refused unless it quotes the current attempt's token,
   * comes from that attempt's node and the attempt has not already ended (a cancelled job's attempt
   * may still confirm that its process stopped).
   */
  public static UpdateResult applyUpdate(Job job, String nodeId, long token, AttemptState reported,
      int exitCode, String message, Instant now) {
    return applyUpdate(job, nodeId, token, reported, exitCode, message, now, 0);
  }

  /**
   * As above, with the energy the node measured for the attempt (watt-hours, on final reports). An
   * attempt the scheduler already ended (preempted, cancelled) still takes its energy once.
   */
  public static UpdateResult applyUpdate(Job job, String nodeId, long token, AttemptState reported,
      int exitCode, String message, Instant now, double energyWh) {
    UpdateResult r = applyState(job, nodeId, token, reported, exitCode, message, now);
    boolean finalReport = isEnded(reported) && energyWh > 0;
    if (finalReport && job.getAttemptsCount() > 0 && job.getAttempts(job.getAttemptsCount() - 1).getFencingToken() == token) {
      int last = r.job().getAttemptsCount() - 1;
      Attempt a = r.job().getAttempts(last);
      boolean schedulerEnded = !r.accepted() && (a.getState() == AttemptState.ATTEMPT_STATE_PREEMPTED)
          && a.getNodeId().equals(nodeId);
      if ((r.accepted() || schedulerEnded) && a.getEnergyWh() == 0) {
        Job withEnergy = r.job().toBuilder().setAttempts(last, a.toBuilder().setEnergyWh(energyWh)).build();
        return new UpdateResult(withEnergy, true, r.attemptEnded(), null, true);
      }
    }
    return r;
  }

  private static UpdateResult applyState(Job job, String nodeId, long token, AttemptState reported,
      int exitCode, String message, Instant now) {
    if (job.getAttemptsCount() == 0) {
      return UpdateResult.refused(job, "no attempt was assigned");
    }
    int last = job.getAttemptsCount() - 1;
    Attempt current = job.getAttempts(last);
    if (current.getFencingToken() != token) {
      return UpdateResult.refused(job, "stale fencing token " + token + " (current attempt " + current.getNumber()
          + " has another)");
    }
    if (!current.getNodeId().equals(nodeId)) {
      return UpdateResult.refused(job, "attempt " + current.getNumber() + " belongs to another node");
    }
    Timestamp t = timestamp(now);
    if (job.getState() == JobState.JOB_STATE_CANCELLED && current.getState() == AttemptState.ATTEMPT_STATE_CANCELLED) {
      // The node confirms the process of a cancelled job stopped: nothing changes but the
      // reservation can be released.
      boolean ended = isEnded(reported);
      return new UpdateResult(job, true, ended, null);
    }
    if (isEnded(current.getState())) {
      return UpdateResult.refused(job, "attempt " + current.getNumber() + " already ended " + current.getState());
    }
    Attempt.Builder a = current.toBuilder();
    Job.Builder j = job.toBuilder().setUpdatedAt(t);
    switch (reported) {
      case ATTEMPT_STATE_RUNNING -> {
        if (current.getState() == AttemptState.ATTEMPT_STATE_RUNNING) {
          return new UpdateResult(job, true, false, null);
        }
        a.setState(AttemptState.ATTEMPT_STATE_RUNNING).setStartedAt(t);
        j.setState(JobState.JOB_STATE_RUNNING);
        return new UpdateResult(j.setAttempts(last, a).build(), true, false, null);
      }
      case ATTEMPT_STATE_SUCCEEDED -> {
        a.setState(AttemptState.ATTEMPT_STATE_SUCCEEDED).setEndedAt(t).setExitCode(exitCode).setReason("exit code " + exitCode);
        j.setState(JobState.JOB_STATE_SUCCEEDED).setStateReason("");
        return new UpdateResult(j.setAttempts(last, a).build(), true, true, null);
      }
      case ATTEMPT_STATE_FAILED, ATTEMPT_STATE_TIMED_OUT, ATTEMPT_STATE_CANCELLED -> {
        String reason = switch (reported) {
          case ATTEMPT_STATE_TIMED_OUT -> "ran longer than max_runtime";
          case ATTEMPT_STATE_CANCELLED -> "stopped by the node";
          default -> message.isEmpty() || message.equals("exit code " + exitCode) ? "exit code " + exitCode
              : "exit code " + exitCode + ": " + message;
        };
        AttemptState end = reported == AttemptState.ATTEMPT_STATE_CANCELLED ? AttemptState.ATTEMPT_STATE_FAILED : reported;
        a.setState(end).setEndedAt(t).setExitCode(exitCode).setReason(reason);
        j.setAttempts(last, a);
        return new UpdateResult(requeueOrFail(j, reason), true, true, null);
      }
      case ATTEMPT_STATE_PREEMPTED -> {
        a.setState(AttemptState.ATTEMPT_STATE_PREEMPTED).setEndedAt(t).setReason(message.isEmpty() ? "preempted" : message);
        j.setAttempts(last, a).setState(JobState.JOB_STATE_QUEUED);
        return new UpdateResult(j.build(), true, true, null);
      }
      default -> {
        return UpdateResult.refused(job, "state " + reported + " cannot be reported");
      }
    }
  }

  /**
   * The scheduler stops the current attempt to make room for a higher tier or because its room no
   * longer wants heat: the attempt is PREEMPTED and the job back in the queue, without using one of
   * its attempts. Null when the token is not the current, running attempt's.
   */
  public static Job preempt(Job job, long token, String why, Instant now) {
    if (job.getAttemptsCount() == 0 || isTerminal(job.getState())) {
      return null;
    }
    int last = job.getAttemptsCount() - 1;
    Attempt current = job.getAttempts(last);
    if (current.getFencingToken() != token || isEnded(current.getState())) {
      return null;
    }
    Timestamp t = timestamp(now);
    Attempt a = current.toBuilder().setState(AttemptState.ATTEMPT_STATE_PREEMPTED).setEndedAt(t).setReason(why).build();
    return job.toBuilder().setAttempts(last, a).setState(JobState.JOB_STATE_QUEUED).setUpdatedAt(t).build();
  }

  /** The node holding the current attempt was lost: the attempt is LOST and the job requeued (or FAILED). */
  public static Job lose(Job job, long token, String why, Instant now) {
    if (job.getAttemptsCount() == 0 || isTerminal(job.getState()) && job.getState() != JobState.JOB_STATE_CANCELLED) {
      return null;
    }
    int last = job.getAttemptsCount() - 1;
    Attempt current = job.getAttempts(last);
    if (current.getFencingToken() != token) {
      return null;
    }
    Timestamp t = timestamp(now);
    if (job.getState() == JobState.JOB_STATE_CANCELLED) {
      return job; // nothing to requeue; the caller only releases the reservation
    }
    if (isEnded(current.getState())) {
      return null;
    }
    Attempt a = current.toBuilder().setState(AttemptState.ATTEMPT_STATE_LOST).setEndedAt(t).setReason(why).build();
    Job.Builder j = job.toBuilder().setAttempts(last, a).setUpdatedAt(t);
    return requeueOrFail(j, why);
  }

  /** Cancels a job that has not ended; returns the job unchanged when it already ended. */
  public static Job cancel(Job job, String by, Instant now) {
    if (isTerminal(job.getState())) {
      return job;
    }
    Timestamp t = timestamp(now);
    Job.Builder j = job.toBuilder().setState(JobState.JOB_STATE_CANCELLED)
        .setStateReason("cancelled by " + by).clearPending().setUpdatedAt(t);
    if (job.getAttemptsCount() > 0) {
      int last = job.getAttemptsCount() - 1;
      Attempt current = job.getAttempts(last);
      if (!isEnded(current.getState())) {
        j.setAttempts(last, current.toBuilder().setState(AttemptState.ATTEMPT_STATE_CANCELLED)
            .setEndedAt(t).setReason("job cancelled"));
      }
    }
    return j.build();
  }

  /** What a job's energy facts assume, for a displacement of {@code gramsPerKwh} gCO2 per kWh of heat. */
  public static String energyAssumptions(double gramsPerKwh) {
    return String.format(java.util.Locale.ROOT,
        "CO2 avoided = useful heat x %.0f gCO2 per kWh of heat displaced (default: a gas boiler, 227 g/kWh of gas at"
            + " 90 %% efficiency); the compute's electricity is counted as spent either way", gramsPerKwh);
  }

  /**
   * Whether the job's energy facts already count every attempt's energy (so accounting an attempt
   * again changes nothing, or only an attempt that drew none).
   */
  public static boolean energyAccounted(Job job) {
    if (!job.hasEnergy()) {
      return false;
    }
    double energy = 0;
    for (Attempt a : job.getAttemptsList()) {
      energy += a.getEnergyWh();
    }
    return job.getEnergy().getEnergyWh() == energy;
  }

  /**
   * Records how much of an ended attempt's energy was useful heat (its node's demand vs draw while it
   * ran) and recomputes the job's energy facts. Null when nothing changes.
   */
  public static Job accountEnergy(Job job, long token, double usefulFraction, double displacedGramsPerKwh,
      String assumptions) {
    Job.Builder j = job.toBuilder();
    boolean changed = false;
    for (int i = 0; i < job.getAttemptsCount(); i++) {
      Attempt a = job.getAttempts(i);
      if (a.getFencingToken() == token && a.getEnergyWh() > 0) {
        double useful = a.getEnergyWh() * Math.max(0, Math.min(1, usefulFraction));
        if (a.getUsefulHeatWh() != useful) {
          j.setAttempts(i, a.toBuilder().setUsefulHeatWh(useful));
          changed = true;
        }
      }
    }
    double energy = 0;
    double useful = 0;
    for (Attempt a : j.getAttemptsList()) {
      energy += a.getEnergyWh();
      useful += a.getUsefulHeatWh();
    }
    io.hearth.api.v1.EnergyFacts facts = io.hearth.api.v1.EnergyFacts.newBuilder()
        .setEnergyWh(energy)
        .setUsefulHeatWh(useful)
        .setCo2AvoidedG(useful / 1000 * displacedGramsPerKwh)
        .setAssumptions(assumptions)
        .build();
    if (!changed && facts.equals(job.getEnergy())) {
      return null;
    }
    return j.setEnergy(facts).build();
  }

  /** QUEUED longer than max_queue_time -> EXPIRED; null when the job is not QUEUED. */
  public static Job expire(Job job, Instant now) {
    if (job.getState() != JobState.JOB_STATE_QUEUED) {
      return null;
    }
    return job.toBuilder().setState(JobState.JOB_STATE_EXPIRED)
        .setStateReason("waited longer than max_queue_time (" + job.getSpec().getMaxQueueTime().getSeconds() + "s)"
            + (job.hasPending() ? "; last reason: " + job.getPending().getSummary() : ""))
        .setUpdatedAt(timestamp(now)).build();
  }

  /** Records why a QUEUED job waits; null when nothing changes. */
  public static Job pending(Job job, PendingReason reason) {
    if (job.getState() != JobState.JOB_STATE_QUEUED
        || job.getPending().getSummary().equals(reason.getSummary())) {
      return null;
    }
    return job.toBuilder().setPending(reason).build();
  }

  /** When a QUEUED job stops waiting: its entry into the queue (creation or release) plus max_queue_time. */
  public static Instant queueDeadline(Job job) {
    return instant(job.hasQueuedAt() ? job.getQueuedAt() : job.getCreatedAt()).plusSeconds(job.getSpec().getMaxQueueTime().getSeconds())
        .plusNanos(job.getSpec().getMaxQueueTime().getNanos());
  }

  private static Job requeueOrFail(Job.Builder j, String reason) {
    Job snapshot = j.build();
    int used = countedAttempts(snapshot);
    if (used >= snapshot.getSpec().getMaxAttempts()) {
      return j.setState(JobState.JOB_STATE_FAILED)
          .setStateReason("attempt " + used + " of " + snapshot.getSpec().getMaxAttempts() + " failed: " + reason)
          .build();
    }
    return j.setState(JobState.JOB_STATE_QUEUED).build();
  }

  public static Timestamp timestamp(Instant i) {
    return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
  }

  public static Instant instant(Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }
}
