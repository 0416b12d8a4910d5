package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.util.Timestamps;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.hearth.api.v1.ArrayStatus;
import io.hearth.api.v1.Attempt;
import io.hearth.api.v1.CancelJobRequest;
import io.hearth.api.v1.DependencyCondition;
import io.hearth.api.v1.GetJobLogsRequest;
import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobDependency;
import io.hearth.api.v1.JobEvent;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.LogChunk;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.api.v1.SubmitJobsRequest;
import io.hearth.api.v1.SubmitJobsResponse;
import io.hearth.api.v1.WatchJobsRequest;
import io.hearth.worker.agent.NodeAgent;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Array jobs and dependencies end to end: a scheduler member, four data-center agents running real
 * {@code sh} processes; 500-instance arrays, a three-stage pipeline submitted in one batch, cycles
 * refused, failed parents failing their dependents.
 */
class ArrayJobsIT {

  static TestScheduler hearth;
  static final List<NodeAgent> agents = new ArrayList<>();
  static JobServiceGrpc.JobServiceBlockingStub acme;
  @TempDir static Path work;

  @BeforeAll
  static void start() {
    hearth = TestScheduler.start(TestScheduler.options().build());
    agents.addAll(Agents.datacenters(hearth, 4, work, 32));
    acme = hearth.jobs("tenant/acme");
  }

  @AfterAll
  static void stop() {
    agents.forEach(NodeAgent::close);
    hearth.close();
  }

  private static Job get(String id) {
    return acme.getJob(GetJobRequest.newBuilder().setJobId(id).build());
  }

  private static Job awaitState(String id, JobState state) {
    return TestScheduler.awaitEnded(acme, id, state, Duration.ofSeconds(180));
  }

  private static String stdout(String jobId) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Iterator<LogChunk> chunks = acme.getJobLogs(GetJobLogsRequest.newBuilder().setJobId(jobId).build());
    chunks.forEachRemaining(c -> out.writeBytes(c.getData().toByteArray()));
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void fiveHundredInstancesSucceedAndTheArrayAggregatesThemLive() {
    Job array = acme.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec("array-500", "sh", "-c",
        "echo instance $HEARTH_INSTANCE_ID of $HEARTH_INSTANCE_COUNT").setInstances(500)).build()).getJob();
    assertThat(array.getArray().getInstances()).isEqualTo(500);
    List<JobEvent> events = new CopyOnWriteArrayList<>();
    JobServiceGrpc.newStub(hearth.channel("tenant/acme")).watchJobs(
        WatchJobsRequest.newBuilder().addJobIds(array.getJobId()).build(), collect(events));

    Job done = awaitState(array.getJobId(), JobState.JOB_STATE_SUCCEEDED);
    ArrayStatus a = done.getArray();
    assertThat(a.getSucceeded()).isEqualTo(500);
    assertThat(a.getFailed() + a.getQueued() + a.getRunning() + a.getBlocked() + a.getCancelled() + a.getExpired()).isZero();
    assertThat(a.getUnsuccessfulInstancesList()).isEmpty();

    // Every instance is a job of its own that saw its own index.
    for (int i : new int[] {0, 17, 499}) {
      Job inst = get(array.getJobId() + "." + i);
      assertThat(inst.getArrayJobId()).isEqualTo(array.getJobId());
      assertThat(inst.getInstanceIndex()).isEqualTo(i);
      assertThat(inst.getState()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
      assertThat(stdout(inst.getJobId())).isEqualTo("instance " + i + " of 500\n");
    }
    // The watcher of the array job saw its progress, ending with the final aggregate.
    await().atMost(Duration.ofSeconds(10)).until(() -> !events.isEmpty()
        && events.get(events.size() - 1).getJob().getState() == JobState.JOB_STATE_SUCCEEDED);
    assertThat(events).allSatisfy(e -> assertThat(e.getJob().getJobId()).isEqualTo(array.getJobId()));
    List<Integer> succeeded = events.stream().map(e -> e.getJob().getArray().getSucceeded()).toList();
    assertThat(succeeded).isSorted();
    assertThat(succeeded.stream().distinct().count()).isGreaterThan(2);
  }

  @Test
  void oneFailingInstanceFailsTheArrayAndIsNamed() {
    Job array = acme.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec("array-fail", "sh", "-c",
        "if [ \"$HEARTH_INSTANCE_ID\" = 17 ]; then exit 3; fi").setInstances(500).setMaxAttempts(1)).build()).getJob();
    Job done = awaitState(array.getJobId(), JobState.JOB_STATE_FAILED);
    assertThat(done.getArray().getUnsuccessfulInstancesList()).containsExactly(17);
    assertThat(done.getArray().getFailed()).isEqualTo(1);
    assertThat(done.getArray().getSucceeded()).isEqualTo(499);
    assertThat(done.getStateReason()).startsWith("instance 17 ended FAILED");
    assertThat(get(array.getJobId() + ".17").getAttempts(0).getExitCode()).isEqualTo(3);
  }

  @Test
  void aPipelineSubmittedInOneBatchRunsInOrder() {
    // Listed children first: the service accepts parents before children whatever the order.
    SubmitJobsResponse r = acme.submitJobs(SubmitJobsRequest.newBuilder()
        .addSpecs(TestScheduler.spec("pipe-aggregate", "true").addDependsOn(byRequest("pipe-stage")))
        .addSpecs(TestScheduler.spec("pipe-stage", "sh", "-c", "sleep 0.2").setInstances(100)
            .addDependsOn(byRequest("pipe-prepare")))
        .addSpecs(TestScheduler.spec("pipe-prepare", "sh", "-c", "sleep 1"))
        .build());
    Job aggregate = r.getResults(0).getJob();
    Job stage = r.getResults(1).getJob();
    Job prepare = r.getResults(2).getJob();
    assertThat(aggregate.getState()).isEqualTo(JobState.JOB_STATE_BLOCKED);
    assertThat(stage.getState()).isEqualTo(JobState.JOB_STATE_BLOCKED);
    assertThat(stage.getSpec().getDependsOn(0).getJobId()).isEqualTo(prepare.getJobId());
    assertThat(aggregate.getSpec().getDependsOn(0).getJobId()).isEqualTo(stage.getJobId());

    Job aggregated = awaitState(aggregate.getJobId(), JobState.JOB_STATE_SUCCEEDED);
    long prepareEnded = Timestamps.toMillis(last(get(prepare.getJobId())).getEndedAt());
    long lastStageEnded = 0;
    for (int i = 0; i < 100; i++) {
      Attempt a = last(get(stage.getJobId() + "." + i));
      assertThat(Timestamps.toMillis(a.getStartedAt())).as("instance %s started after prepare ended", i)
          .isGreaterThanOrEqualTo(prepareEnded);
      lastStageEnded = Math.max(lastStageEnded, Timestamps.toMillis(a.getEndedAt()));
    }
    assertThat(get(stage.getJobId()).getState()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
    assertThat(Timestamps.toMillis(last(aggregated).getStartedAt())).isGreaterThanOrEqualTo(lastStageEnded);
  }

  @Test
  void aLaterSubmissionDependsOnAnEarlierJobByItsRequestId() {
    Job parent = acme.submitJob(SubmitJobRequest.newBuilder()
        .setSpec(TestScheduler.spec("earlier-parent", "sh", "-c", "sleep 1")).build()).getJob();
    Job child = acme.submitJob(SubmitJobRequest.newBuilder()
        .setSpec(TestScheduler.spec("later-child", "true").addDependsOn(byRequest("earlier-parent"))).build()).getJob();
    assertThat(child.getState()).isEqualTo(JobState.JOB_STATE_BLOCKED);
    assertThat(child.getSpec().getDependsOn(0).getJobId()).isEqualTo(parent.getJobId());
    Job done = awaitState(child.getJobId(), JobState.JOB_STATE_SUCCEEDED);
    assertThat(Timestamps.toMillis(last(done).getStartedAt()))
        .isGreaterThanOrEqualTo(Timestamps.toMillis(last(get(parent.getJobId())).getEndedAt()));
    // Another tenant's request id is not found, and says so with the field.
    assertThatThrownBy(() -> hearth.jobs("tenant/other").submitJob(SubmitJobRequest.newBuilder()
        .setSpec(TestScheduler.spec("other-child", "true").addDependsOn(byRequest("earlier-parent"))).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).startsWith("spec.depends_on[0].request_id: 'earlier-parent' not found");
        });
  }

  @Test
  void aCycleRefusesTheWholeBatch() {
    SubmitJobsRequest batch = SubmitJobsRequest.newBuilder()
        .addSpecs(TestScheduler.spec("cyc-free", "true"))
        .addSpecs(TestScheduler.spec("cyc-x", "true").addDependsOn(byRequest("cyc-free")).addDependsOn(byRequest("cyc-y")))
        .addSpecs(TestScheduler.spec("cyc-y", "true").addDependsOn(byRequest("cyc-x")))
        .build();
    assertThatThrownBy(() -> acme.submitJobs(batch)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(e.getStatus().getDescription()).matches(
          "specs\\[\\d]\\.depends_on\\[\\d]\\.request_id: 'cyc-[xy]' forms a cycle cyc-[xy] -> cyc-[xy] -> cyc-[xy]");
    });
    // Nothing was accepted: every request id is still free.
    for (String id : List.of("cyc-free", "cyc-x", "cyc-y")) {
      assertThat(acme.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec(id, "true")).build())
          .getCreated()).as(id).isTrue();
    }
  }

  @Test
  void aFailedParentFailsItsDependentsTransitivelyWithTheReason() {
    SubmitJobsResponse r = acme.submitJobs(SubmitJobsRequest.newBuilder()
        .addSpecs(TestScheduler.spec("fp-parent", "sh", "-c", "exit 1").setMaxAttempts(1))
        .addSpecs(TestScheduler.spec("fp-child", "true").addDependsOn(byRequest("fp-parent")))
        .addSpecs(TestScheduler.spec("fp-array-child", "true").setInstances(5).addDependsOn(byRequest("fp-child")))
        .addSpecs(TestScheduler.spec("fp-cleanup", "true").addDependsOn(byRequest("fp-parent")
            .toBuilder().setCondition(DependencyCondition.DEPENDENCY_CONDITION_AFTER_ANY_END)))
        .build());
    String parent = r.getResults(0).getJob().getJobId();
    String child = r.getResults(1).getJob().getJobId();
    String arrayChild = r.getResults(2).getJob().getJobId();
    awaitState(parent, JobState.JOB_STATE_FAILED);
    assertThat(awaitState(child, JobState.JOB_STATE_FAILED).getStateReason())
        .isEqualTo("parent job " + parent + " ended FAILED");
    Job a = awaitState(arrayChild, JobState.JOB_STATE_FAILED);
    assertThat(a.getStateReason()).isEqualTo("parent job " + child + " ended FAILED");
    await().atMost(Duration.ofSeconds(10)).until(() -> get(arrayChild).getArray().getFailed() == 5);
    assertThat(get(arrayChild + ".3").getAttemptsList()).isEmpty();
    // The clean-up job runs whatever the parent's fate.
    awaitState(r.getResults(3).getJob().getJobId(), JobState.JOB_STATE_SUCCEEDED);
  }

  @Test
  void cancellingAnArrayCancelsItsInstances() {
    Job array = acme.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec("array-cancel", "sleep", "60")
        .setInstances(20)).build()).getJob();
    await().atMost(Duration.ofSeconds(30)).until(() -> get(array.getJobId()).getArray().getRunning() > 0);
    Job cancelled = acme.cancelJob(CancelJobRequest.newBuilder().setJobId(array.getJobId()).build());
    assertThat(cancelled.getState()).isEqualTo(JobState.JOB_STATE_CANCELLED);
    for (int i = 0; i < 20; i++) {
      assertThat(get(array.getJobId() + "." + i).getState()).isEqualTo(JobState.JOB_STATE_CANCELLED);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> get(array.getJobId()).getArray().getCancelled() == 20);
  }

  private static JobDependency byRequest(String requestId) {
    return JobDependency.newBuilder().setRequestId(requestId).build();
  }

  private static Attempt last(Job j) {
    assertThat(j.getAttemptsList()).as("attempts of %s", j.getJobId()).isNotEmpty();
    return j.getAttempts(j.getAttemptsCount() - 1);
  }

  private static StreamObserver<JobEvent> collect(List<JobEvent> into) {
    return new StreamObserver<>() {
      @Override public void onNext(JobEvent e) { into.add(e); }
      @Override public void onError(Throwable t) { }
      @Override public void onCompleted() { }
    };
  }
}
