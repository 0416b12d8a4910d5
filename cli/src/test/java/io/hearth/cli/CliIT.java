package io.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.hearth.api.v1.ClusterStatus;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.ListJobsRequest;
import io.hearth.api.v1.ListJobsResponse;
import io.hearth.api.v1.ListNodesResponse;
import io.hearth.api.v1.NodeInfo;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.api.v1.SubmitJobResponse;
import io.hearth.client.HearthClient;
import io.hearth.client.JobSpecs;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The CLI and the client library against a dev-mode-like cluster: real scheduler, real agents, real processes. */
class CliIT {

  static DevHearth dev;

  @BeforeAll
  static void start() {
    dev = DevHearth.start(2, 8);
  }

  @AfterAll
  static void stop() {
    dev.close();
  }

  @Test
  void aJobFromFlagsIsWatchedToItsEnd() {
    DevHearth.Run r = dev.hearth("submit", "--wait", "--name", "hello", "--", "echo", "hi");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("submitted ").contains(" SUCCEEDED hello");
    assertThat(r.err()).contains("done 1  failed 0  of 1");
  }

  @Test
  void aFailedJobExitsWithOneAndSaysHowItEnded() {
    DevHearth.Run r = dev.hearth("submit", "--wait", "--max-attempts", "1", "--", "sh", "-c", "exit 3");
    assertThat(r.code()).isEqualTo(ExitCodes.JOB_FAILED);
    assertThat(r.out()).contains(" FAILED").contains("exit code 3");
  }

  @Test
  void jsonOutputParsesAsTheApiMessages() throws Exception {
    DevHearth.Run submitted = dev.hearth("submit", "--output", "json", "--wait", "--", "true");
    assertThat(submitted.code()).isZero();
    ListJobsResponse.Builder watched = ListJobsResponse.newBuilder();
    JsonFormat.parser().merge(submitted.out(), watched);
    String jobId = watched.getJobs(0).getJobId();

    DevHearth.Run got = dev.hearth("get", "-o", "json", jobId);
    Job.Builder job = Job.newBuilder();
    JsonFormat.parser().merge(got.out(), job);
    assertThat(job.getJobId()).isEqualTo(jobId);
    assertThat(job.getAttemptsCount()).isEqualTo(1);

    ListJobsResponse.Builder listed = ListJobsResponse.newBuilder();
    JsonFormat.parser().merge(dev.hearth("list", "-o", "json", "--state", "succeeded").out(), listed);
    assertThat(listed.getJobsList()).extracting(Job::getJobId).contains(jobId);

    DevHearth.Run nodes = dev.hearth("nodes", "-o", "json");
    ListNodesResponse.Builder fleet = ListNodesResponse.newBuilder();
    JsonFormat.parser().merge(nodes.out(), fleet);
    assertThat(fleet.getNodesCount()).isEqualTo(2);
  }

  @Test
  void anUnknownJobIsNotFound() {
    DevHearth.Run r = dev.hearth("get", "no-such-job");
    assertThat(r.code()).isEqualTo(ExitCodes.NOT_FOUND_OR_DENIED);
    assertThat(r.err()).startsWith("hearth: NOT_FOUND");
  }

  @Test
  void aQueuedJobIsCancelledAndItsWatcherExitsWithOne() {
    DevHearth.Run submitted = dev.hearth("submit", "--cores", "200", "--", "true");
    String jobId = submitted.out().split(" ")[1].trim();
    DevHearth.Run cancelled = dev.hearth("cancel", jobId);
    assertThat(cancelled.code()).isZero();
    assertThat(cancelled.out()).contains(jobId + " CANCELLED");
    assertThat(dev.hearth("watch", jobId).code()).isEqualTo(ExitCodes.JOB_FAILED);
  }

  @Test
  void aWatchThatRunsOutOfTimeSaysTheJobStillRuns() {
    String jobId = dev.hearth("submit", "--cores", "200", "--", "true").out().split(" ")[1].trim();
    DevHearth.Run r = dev.hearth("watch", "--timeout", "1s", "--interval", "200ms", jobId);
    assertThat(r.code()).isEqualTo(ExitCodes.STILL_RUNNING);
    assertThat(r.err()).contains("still running after 1s: queued 1");
    dev.hearth("cancel", jobId);
  }

  @Test
  void anOperatorApprovesANonprofitDrainsANodeAndReadsTheStatus() throws Exception {
    DevHearth.Run badWeight = dev.hearth("approve", "open-renders", "--weight", "0");
    assertThat(badWeight.code()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(badWeight.err()).contains("--weight: 0 (expected: 1..1000)");

    DevHearth.Run approved = dev.hearth("approve", "open-renders", "--weight", "3");
    assertThat(approved.code()).as(approved.err()).isZero();
    assertThat(approved.out()).isEqualTo("nonprofit open-renders approved, weight 3" + System.lineSeparator());
    // A tenant is not an operator: the scheduler refuses it.
    assertThat(dev.hearth("approve", "--as", "tenant-acme", "open-renders").code()).isEqualTo(ExitCodes.NOT_FOUND_OR_DENIED);

    ListNodesResponse.Builder fleet = ListNodesResponse.newBuilder();
    JsonFormat.parser().merge(dev.hearth("nodes", "-o", "json").out(), fleet);
    String node = fleet.getNodes(0).getNodeId();
    DevHearth.Run drained = dev.hearth("drain", node);
    assertThat(drained.code()).as(drained.err()).isZero();
    assertThat(drained.out()).startsWith("node " + node + " ").contains("(drained: takes no new work)");
    NodeInfo.Builder after = NodeInfo.newBuilder();
    JsonFormat.parser().merge(dev.hearth("undrain", "-o", "json", node).out(), after);
    assertThat(after.getNodeId()).isEqualTo(node);
    assertThat(after.getDrained()).isFalse();
    assertThat(dev.hearth("drain", "no-such-node").code()).isEqualTo(ExitCodes.NOT_FOUND_OR_DENIED);

    ClusterStatus.Builder status = ClusterStatus.newBuilder();
    DevHearth.Run statusRun = dev.hearth("status", "-o", "json");
    assertThat(statusRun.code()).as(statusRun.err()).isZero();
    JsonFormat.parser().merge(statusRun.out(), status);
    assertThat(status.getMembers()).isEqualTo(1);
    assertThat(dev.hearth("status").out()).contains("scheduler members: 1").contains("jobs:");
  }

  @Test
  void theDonationCommandsAnswerANonprofit() {
    DevHearth.Run offers = dev.hearth("offers");
    assertThat(offers.code()).as(offers.err()).isZero();
    assertThat(offers.out()).contains("core-hours");
  }

  /**
   * A real gRPC server in front of the scheduler passes the first submission on and loses the
   * answer (UNAVAILABLE). The client sends the same request again: one job, not two.
   */
  @Test
  void aSubmissionWhoseAnswerWasLostIsRetriedWithoutADuplicate() throws Exception {
    AtomicInteger forwarded = new AtomicInteger();
    try (HearthClient upstream = HearthClient.builder().scheduler(dev.target()).tlsDir(dev.certs, "tenant-acme").build()) {
      Server lossy = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), InsecureServerCredentials.create())
          .addService(new JobServiceGrpc.JobServiceImplBase() {
            @Override
            public void submitJob(SubmitJobRequest request, StreamObserver<SubmitJobResponse> response) {
              SubmitJobResponse answer = upstream.submit(request.getSpec());
              if (forwarded.incrementAndGet() == 1) {
                response.onError(Status.UNAVAILABLE.withDescription("connection lost").asRuntimeException());
                return;
              }
              response.onNext(answer);
              response.onCompleted();
            }
          })
          .build().start();
      ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", lossy.getPort(), InsecureChannelCredentials.create()).build();
      try (HearthClient client = HearthClient.builder().channel(channel).build()) {
        JobSpec spec = JobSpecs.command("true").name("once").build();
        SubmitJobResponse r = client.submit(spec);
        assertThat(r.getCreated()).isFalse();
        assertThat(forwarded).hasValue(2);
        assertThat(client.retries()).isEqualTo(1);
        long same = upstream.list(ListJobsRequest.getDefaultInstance(), 100_000).stream()
            .filter(j -> j.getSpec().getRequestId().equals(spec.getRequestId())).count();
        assertThat(same).isEqualTo(1);
      } finally {
        channel.shutdownNow();
        lossy.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
