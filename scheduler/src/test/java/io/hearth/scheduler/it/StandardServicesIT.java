package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobEvent;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.NodeKind;
import io.hearth.api.v1.SchedulerMessage;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.api.v1.WatchJobsRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Generic gRPC tools work (health, reflection) and watchers see every change of their jobs only. */
class StandardServicesIT {

  static TestScheduler hearth;

  @BeforeAll
  static void start() {
    hearth = TestScheduler.start(TestScheduler.options().build());
  }

  @AfterAll
  static void stop() {
    hearth.close();
  }

  @Test
  void healthCheckingAnswersServing() {
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(hearth.channel("tenant/acme"));
    assertThat(health.check(HealthCheckRequest.newBuilder().setService("hearth.v1.JobService").build()).getStatus())
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus())
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  @Test
  void reflectionListsHearthServices() throws Exception {
    CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(hearth.channel("tenant/acme"))
        .serverReflectionInfo(new StreamObserver<>() {
          @Override public void onNext(ServerReflectionResponse r) { answer.complete(r); }
          @Override public void onError(Throwable t) { answer.completeExceptionally(t); }
          @Override public void onCompleted() {}
        });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("*").build());
    List<String> services = answer.get(10, TimeUnit.SECONDS).getListServicesResponse().getServiceList().stream()
        .map(ServiceResponse::getName).toList();
    requests.onCompleted();
    assertThat(services).contains("hearth.v1.JobService", "hearth.v1.NodeService", "grpc.health.v1.Health");
  }

  @Test
  void aWatcherSeesEveryStateOfItsJobAndNothingOfOtherTenants() throws Exception {
    BlockingQueue<JobEvent> seen = new LinkedBlockingQueue<>();
    var watchCall = JobServiceGrpc.newStub(hearth.channel("tenant/watcher")).withDeadlineAfter(60, TimeUnit.SECONDS);
    io.grpc.Context.CancellableContext ctx = io.grpc.Context.current().withCancellation();
    ctx.run(() -> watchCall.watchJobs(WatchJobsRequest.getDefaultInstance(), new StreamObserver<>() {
      @Override public void onNext(JobEvent e) { seen.add(e); }
      @Override public void onError(Throwable t) {}
      @Override public void onCompleted() {}
    }));
    try (RawNode node = new RawNode(hearth, "watch-node", "CERTIFIED")) {
      node.send(RawNode.hello("watch-node", NodeKind.NODE_KIND_DATACENTER, SecurityClass.SECURITY_CLASS_CERTIFIED, 4)
          .setRegion("watch-region").build());
      node.next(SchedulerMessage.BodyCase.WELCOME, Duration.ofSeconds(10));
      // Give the watch stream a moment to register by round-tripping a call on the same channel.
      hearth.jobs("tenant/watcher").listJobs(io.hearth.api.v1.ListJobsRequest.getDefaultInstance());
      hearth.jobs("tenant/someone-else").submitJob(SubmitJobRequest.newBuilder()
          .setSpec(TestScheduler.spec("not-yours", "true").addAllowedRegions("nowhere")).build());
      Job job = hearth.jobs("tenant/watcher").submitJob(SubmitJobRequest.newBuilder()
          .setSpec(TestScheduler.spec("watched", "true").addAllowedRegions("watch-region")).build()).getJob();
      var a = node.next(SchedulerMessage.BodyCase.ASSIGNMENT, Duration.ofSeconds(10)).getAssignment();
      node.report(job.getJobId(), a.getFencingToken(), io.hearth.api.v1.AttemptState.ATTEMPT_STATE_RUNNING, 0);
      node.report(job.getJobId(), a.getFencingToken(), io.hearth.api.v1.AttemptState.ATTEMPT_STATE_SUCCEEDED, 0);

      java.util.List<JobState> states = new java.util.ArrayList<>();
      while (!states.contains(JobState.JOB_STATE_SUCCEEDED)) {
        JobEvent e = seen.poll(10, TimeUnit.SECONDS);
        assertThat(e).as("events so far: %s", states).isNotNull();
        assertThat(e.getJob().getOwner()).isEqualTo("watcher");
        states.add(e.getJob().getState());
      }
      assertThat(states).containsSubsequence(JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_ASSIGNED,
          JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_SUCCEEDED);
      assertThat(hearth.jobs("tenant/watcher").getJob(GetJobRequest.newBuilder().setJobId(job.getJobId()).build())
          .getState()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
    } finally {
      ctx.cancel(null);
    }
  }
}
