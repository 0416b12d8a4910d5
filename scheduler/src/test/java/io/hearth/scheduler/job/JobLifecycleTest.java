package io.hearth.scheduler.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.hearth.api.v1.AttemptState;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.PendingReason;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class JobLifecycleTest {

  static final Instant T0 = Instant.parse("2026-01-15T08:00:00Z");

  static Job queued(int maxAttempts) {
    JobSpec spec = JobSpec.newBuilder().setRequestId("r").setCores(1).setMaxAttempts(maxAttempts)
        .setMaxQueueTime(com.google.protobuf.Duration.newBuilder().setSeconds(60)).build();
    return JobLifecycle.queued("job-1", "acme", spec, T0);
  }

  @Test
  void assignAddsAnAttemptWithTheTokenAndOnlyFromQueued() {
    Job assigned = JobLifecycle.assign(queued(3), "n1", 11, T0);
    assertThat(assigned.getState()).isEqualTo(JobState.JOB_STATE_ASSIGNED);
    assertThat(assigned.getAttempts(0).getNumber()).isEqualTo(1);
    assertThat(assigned.getAttempts(0).getFencingToken()).isEqualTo(11);
    assertThat(JobLifecycle.assign(assigned, "n2", 12, T0)).isNull();
  }

  @Test
  void runningThenSucceededEndsTheJob() {
    Job j = JobLifecycle.assign(queued(3), "n1", 11, T0);
    var running = JobLifecycle.applyUpdate(j, "n1", 11, AttemptState.ATTEMPT_STATE_RUNNING, 0, "", T0.plusSeconds(1));
    assertThat(running.accepted()).isTrue();
    assertThat(running.attemptEnded()).isFalse();
    assertThat(running.job().getState()).isEqualTo(JobState.JOB_STATE_RUNNING);
    var done = JobLifecycle.applyUpdate(running.job(), "n1", 11, AttemptState.ATTEMPT_STATE_SUCCEEDED, 0, "",
        T0.plusSeconds(2));
    assertThat(done.job().getState()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
    assertThat(done.attemptEnded()).isTrue();
    assertThat(done.job().getAttempts(0).getEndedAt().getSeconds()).isEqualTo(T0.plusSeconds(2).getEpochSecond());
  }

  @Test
  void refusesStaleTokensForeignNodesAndReportsOnEndedAttempts() {
    Job j = JobLifecycle.assign(queued(3), "n1", 11, T0);
    assertThat(JobLifecycle.applyUpdate(j, "n1", 10, AttemptState.ATTEMPT_STATE_RUNNING, 0, "", T0).refusal())
        .startsWith("stale fencing token 10");
    assertThat(JobLifecycle.applyUpdate(j, "n2", 11, AttemptState.ATTEMPT_STATE_RUNNING, 0, "", T0).refusal())
        .contains("another node");
    Job done = JobLifecycle.applyUpdate(j, "n1", 11, AttemptState.ATTEMPT_STATE_SUCCEEDED, 0, "", T0).job();
    assertThat(JobLifecycle.applyUpdate(done, "n1", 11, AttemptState.ATTEMPT_STATE_FAILED, 1, "", T0).accepted()).isFalse();
  }

  @Test
  void aFailureRequeuesUntilMaxAttemptsThenFails() {
    Job j = queued(2);
    j = JobLifecycle.assign(j, "n1", 1, T0);
    j = JobLifecycle.applyUpdate(j, "n1", 1, AttemptState.ATTEMPT_STATE_FAILED, 3, "", T0).job();
    assertThat(j.getState()).isEqualTo(JobState.JOB_STATE_QUEUED);
    j = JobLifecycle.assign(j, "n2", 2, T0);
    j = JobLifecycle.applyUpdate(j, "n2", 2, AttemptState.ATTEMPT_STATE_FAILED, 3, "", T0).job();
    assertThat(j.getState()).isEqualTo(JobState.JOB_STATE_FAILED);
    assertThat(j.getStateReason()).isEqualTo("attempt 2 of 2 failed: exit code 3");
    assertThat(j.getAttemptsList()).extracting(a -> a.getState()).containsOnly(AttemptState.ATTEMPT_STATE_FAILED);
  }

  @Test
  void aLostNodeRequeuesAndCountsAsAnAttemptButAPreemptionDoesNot() {
    Job j = JobLifecycle.assign(queued(2), "n1", 1, T0);
    j = JobLifecycle.lose(j, 1, "node n1 silent for 16000 ms", T0);
    assertThat(j.getState()).isEqualTo(JobState.JOB_STATE_QUEUED);
    assertThat(j.getAttempts(0).getState()).isEqualTo(AttemptState.ATTEMPT_STATE_LOST);
    assertThat(JobLifecycle.countedAttempts(j)).isEqualTo(1);
    j = JobLifecycle.assign(j, "n2", 2, T0);
    j = JobLifecycle.applyUpdate(j, "n2", 2, AttemptState.ATTEMPT_STATE_PREEMPTED, 0, "", T0).job();
    assertThat(j.getState()).isEqualTo(JobState.JOB_STATE_QUEUED);
    assertThat(JobLifecycle.countedAttempts(j)).isEqualTo(1);
    assertThat(JobLifecycle.lose(j, 2, "late", T0)).as("the preempted attempt already ended").isNull();
  }

  @Test
  void cancelEndsTheJobAndItsAttemptAndIsIdempotent() {
    Job j = JobLifecycle.assign(queued(3), "n1", 5, T0);
    Job cancelled = JobLifecycle.cancel(j, "tenant/acme", T0);
    assertThat(cancelled.getState()).isEqualTo(JobState.JOB_STATE_CANCELLED);
    assertThat(cancelled.getAttempts(0).getState()).isEqualTo(AttemptState.ATTEMPT_STATE_CANCELLED);
    assertThat(JobLifecycle.cancel(cancelled, "tenant/acme", T0)).isSameAs(cancelled);
    var confirm = JobLifecycle.applyUpdate(cancelled, "n1", 5, AttemptState.ATTEMPT_STATE_CANCELLED, -1, "", T0);
    assertThat(confirm.accepted()).isTrue();
    assertThat(confirm.attemptEnded()).isTrue();
    assertThat(confirm.job()).isSameAs(cancelled);
  }

  @Test
  void expiresOnlyQueuedJobsAndSaysWhy() {
    Job q = JobLifecycle.pending(queued(3), PendingReason.newBuilder().setSummary("3 nodes below CERTIFIED").build());
    assertThat(JobLifecycle.queueDeadline(q)).isEqualTo(T0.plusSeconds(60));
    Job expired = JobLifecycle.expire(q, T0.plusSeconds(61));
    assertThat(expired.getState()).isEqualTo(JobState.JOB_STATE_EXPIRED);
    assertThat(expired.getStateReason()).contains("max_queue_time (60s)").contains("3 nodes below CERTIFIED");
    assertThat(JobLifecycle.expire(JobLifecycle.assign(queued(3), "n", 1, T0), T0)).isNull();
  }

  @Test
  void pendingReasonIsWrittenOnlyWhenItChanges() {
    PendingReason r = PendingReason.newBuilder().setSummary("2 nodes not ready").build();
    Job once = JobLifecycle.pending(queued(3), r);
    assertThat(once.getPending().getSummary()).isEqualTo("2 nodes not ready");
    assertThat(JobLifecycle.pending(once, r)).isNull();
  }
}
