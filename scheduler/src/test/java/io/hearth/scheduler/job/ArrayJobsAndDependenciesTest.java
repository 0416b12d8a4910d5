package io.hearth.scheduler.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.hearth.api.v1.DependencyCondition;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobDependency;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.Workload;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ArrayJobsAndDependenciesTest {

  static final Instant T0 = Instant.parse("2026-01-15T08:00:00Z");

  static JobSpec.Builder spec() {
    return JobSpec.newBuilder().setRequestId("r").setCores(1).setMaxAttempts(1)
        .setWorkload(Workload.newBuilder().addArgv("true"));
  }

  static Job array(int n) {
    return ArrayJobs.withInitialStatus(JobLifecycle.accepted("job-a", "acme", spec().setInstances(n).build(), T0));
  }

  static List<Job> withStates(List<Job> instances, JobState... states) {
    List<Job> out = new ArrayList<>();
    for (int i = 0; i < instances.size(); i++) {
      out.add(instances.get(i).toBuilder().setState(states[i]).build());
    }
    return out;
  }

  @Test
  void instancesAreJobsOfTheirOwnWithIndexAndCountInTheirEnvironment() {
    List<Job> inst = ArrayJobs.instances(array(3));
    assertThat(inst).extracting(Job::getJobId).containsExactly("job-a.0", "job-a.1", "job-a.2");
    assertThat(inst.get(2).getArrayJobId()).isEqualTo("job-a");
    assertThat(inst.get(2).getInstanceIndex()).isEqualTo(2);
    assertThat(inst.get(2).getSpec().getWorkload().getEnvironmentMap())
        .containsEntry("HEARTH_INSTANCE_ID", "2").containsEntry("HEARTH_INSTANCE_COUNT", "3");
    assertThat(inst.get(2).getSpec().getInstances()).isZero();
    assertThat(inst.get(2).hasArray()).isFalse();
    assertThat(inst.get(0).getState()).isEqualTo(JobState.JOB_STATE_QUEUED);
  }

  @Test
  void aggregateRunsWhileAnyRunsAndSucceedsWhenAllDo() {
    Job a = array(3);
    List<Job> inst = ArrayJobs.instances(a);
    Job running = ArrayJobs.aggregate(a, withStates(inst, JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_QUEUED,
        JobState.JOB_STATE_SUCCEEDED), T0);
    assertThat(running.getState()).isEqualTo(JobState.JOB_STATE_RUNNING);
    assertThat(running.getArray().getRunning()).isEqualTo(1);
    assertThat(running.getArray().getQueued()).isEqualTo(1);
    assertThat(running.getArray().getSucceeded()).isEqualTo(1);
    Job done = ArrayJobs.aggregate(running, withStates(inst, JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_SUCCEEDED,
        JobState.JOB_STATE_SUCCEEDED), T0);
    assertThat(done.getState()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
    assertThat(ArrayJobs.aggregate(done, withStates(inst, JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_SUCCEEDED,
        JobState.JOB_STATE_SUCCEEDED), T0)).as("nothing changes").isNull();
  }

  @Test
  void aggregateEndsInTheStateOfTheLowestUnsuccessfulInstanceAndListsThem() {
    Job a = array(4);
    List<Job> inst = ArrayJobs.instances(a);
    Job done = ArrayJobs.aggregate(a, withStates(inst, JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_EXPIRED,
        JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED), T0);
    assertThat(done.getState()).isEqualTo(JobState.JOB_STATE_EXPIRED);
    assertThat(done.getStateReason()).startsWith("instance 1 ended EXPIRED");
    assertThat(done.getArray().getUnsuccessfulInstancesList()).containsExactly(1, 3);
  }

  @Test
  void aCancelledArrayKeepsItsStateWhileItsCountsMove() {
    Job a = JobLifecycle.cancel(array(2), "tenant/acme", T0);
    List<Job> inst = ArrayJobs.instances(array(2));
    Job after = ArrayJobs.aggregate(a, withStates(inst, JobState.JOB_STATE_CANCELLED, JobState.JOB_STATE_SUCCEEDED), T0);
    assertThat(after.getState()).isEqualTo(JobState.JOB_STATE_CANCELLED);
    assertThat(after.getArray().getCancelled()).isEqualTo(1);
  }

  @Test
  void aBlockedArrayStaysBlockedUntilItsParentsReleaseIt() {
    Job a = ArrayJobs.withInitialStatus(JobLifecycle.accepted("job-a", "acme", spec().setInstances(2)
        .addDependsOn(JobDependency.newBuilder().setJobId("job-p")).build(), T0));
    assertThat(a.getState()).isEqualTo(JobState.JOB_STATE_BLOCKED);
    assertThat(a.getArray().getBlocked()).isEqualTo(2);
    assertThat(ArrayJobs.instances(a)).allSatisfy(j -> assertThat(j.getState()).isEqualTo(JobState.JOB_STATE_BLOCKED));
    assertThat(ArrayJobs.aggregate(a, ArrayJobs.instances(a), T0)).isNull();
  }

  @Test
  void dependenciesWaitReleaseOrFailByCondition() {
    Job child = JobLifecycle.accepted("job-c", "acme", spec()
        .addDependsOn(JobDependency.newBuilder().setJobId("job-p1"))
        .addDependsOn(JobDependency.newBuilder().setJobId("job-p2")
            .setCondition(DependencyCondition.DEPENDENCY_CONDITION_AFTER_ANY_END)).build(), T0);
    assertThat(child.getState()).isEqualTo(JobState.JOB_STATE_BLOCKED);
    Job p1 = JobLifecycle.queued("job-p1", "acme", spec().build(), T0);
    Job p2 = JobLifecycle.queued("job-p2", "acme", spec().build(), T0);
    assertThat(Dependencies.evaluate(child, Map.of("job-p1", p1, "job-p2", p2)::get).outcome())
        .isEqualTo(Dependencies.Outcome.WAIT);
    Job p2Failed = p2.toBuilder().setState(JobState.JOB_STATE_FAILED).build();
    Job p1Done = p1.toBuilder().setState(JobState.JOB_STATE_SUCCEEDED).build();
    assertThat(Dependencies.evaluate(child, Map.of("job-p1", p1Done, "job-p2", p2Failed)::get).outcome())
        .isEqualTo(Dependencies.Outcome.RELEASE);
    Job p1Cancelled = p1.toBuilder().setState(JobState.JOB_STATE_CANCELLED).build();
    Dependencies.Verdict v = Dependencies.evaluate(child, Map.of("job-p1", p1Cancelled, "job-p2", p2)::get);
    assertThat(v.outcome()).isEqualTo(Dependencies.Outcome.FAIL);
    assertThat(v.reason()).isEqualTo("parent job job-p1 ended CANCELLED");
    Job released = JobLifecycle.release(child, T0.plusSeconds(600));
    assertThat(released.getState()).isEqualTo(JobState.JOB_STATE_QUEUED);
    assertThat(JobLifecycle.queueDeadline(released.toBuilder().setSpec(released.getSpec().toBuilder()
        .setMaxQueueTime(com.google.protobuf.Duration.newBuilder().setSeconds(60))).build()))
        .as("max_queue_time counts from the release").isEqualTo(T0.plusSeconds(660));
    assertThat(JobLifecycle.failBlocked(released, "x", T0)).isNull();
  }
}
