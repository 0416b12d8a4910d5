package io.hearth.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.hearth.api.v1.GetJobLogsRequest;
import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobEvent;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.LogChunk;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.api.v1.SubmitJobResponse;
import io.hearth.api.v1.WatchJobsRequest;
import io.hearth.certs.DevCa;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against a real gRPC server over loopback with mutual TLS from a hearth-certs folder.
 * The server plays a scheduler whose replies get lost: its first answers are UNAVAILABLE, or never come.
 */
class HearthClientTest {

  @TempDir
  Path certs;

  private final List<SubmitJobRequest> submits = new CopyOnWriteArrayList<>();
  private final List<GetJobLogsRequest> logRequests = new CopyOnWriteArrayList<>();
  private final AtomicInteger unavailableFirst = new AtomicInteger();
  private Server server;

  @BeforeEach
  void start() throws IOException {
    DevCa ca = DevCa.create("client test CA");
    ca.save(certs);
    DevCa.Issued server = ca.issueServer("scheduler", List.of("localhost"), List.of("127.0.0.1"));
    ca.issueClient("tenant", "acme", null).save(certs, "tenant-acme");
    TlsServerCredentials.Builder tls = TlsServerCredentials.newBuilder()
        .keyManager(stream(server.certificatePem()), stream(server.keyPem()))
        .trustManager(stream(ca.certificatePem()))
        .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
    this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), tls.build())
        .addService(new LossyJobService())
        .build()
        .start();
  }

  @AfterEach
  void stop() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private HearthClient client(Duration callTimeout, Duration retryFor) {
    return HearthClient.builder()
        .scheduler("127.0.0.1:" + server.getPort())
        .tlsDir(certs, "tenant-acme")
        .callTimeout(callTimeout)
        .retryFor(retryFor)
        .build();
  }

  @Test
  void aCallWhoseReplyNeverComesEndsInDeadlineExceeded() {
    try (HearthClient hearth = client(Duration.ofMillis(300), Duration.ofSeconds(1))) {
      assertThatThrownBy(() -> hearth.get("silent"))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    }
  }

  @Test
  void unavailableIsRetriedWithTheSameRequestId() {
    unavailableFirst.set(2);
    JobSpec spec = JobSpecs.command("echo", "hi").build();
    try (HearthClient hearth = client(Duration.ofSeconds(5), Duration.ofSeconds(30))) {
      SubmitJobResponse r = hearth.submit(spec);
      assertThat(r.getJob().getJobId()).isEqualTo("job-" + spec.getRequestId());
      assertThat(hearth.retries()).isEqualTo(2);
    }
    assertThat(submits).hasSize(3).extracting(s -> s.getSpec().getRequestId()).containsOnly(spec.getRequestId());
  }

  @Test
  void asyncSubmissionRetriesWithoutBlockingAndSendsTheSameRequestId() throws Exception {
    unavailableFirst.set(1);
    JobSpec spec = JobSpecs.command("echo", "hi").build();
    try (HearthClient hearth = client(Duration.ofSeconds(5), Duration.ofSeconds(30))) {
      SubmitJobResponse r = hearth.submitAsync(spec).get(30, TimeUnit.SECONDS);
      assertThat(r.getCreated()).isTrue();
    }
    assertThat(submits).hasSize(2).extracting(s -> s.getSpec().getRequestId()).containsOnly(spec.getRequestId());
  }

  @Test
  void aNonRetryableStatusSurfacesAtOnce() {
    try (HearthClient hearth = client(Duration.ofSeconds(5), Duration.ofSeconds(30))) {
      assertThatThrownBy(() -> hearth.get("unknown"))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
      assertThat(hearth.retries()).isZero();
    }
  }

  @Test
  void watchIsAStreamOfEvents() {
    try (HearthClient hearth = client(Duration.ofSeconds(5), Duration.ofSeconds(30));
        Stream<JobEvent> events = hearth.watch(List.of("j1"), Duration.ofSeconds(30))) {
      assertThat(events.map(e -> e.getJob().getState())).containsExactly(
          JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_SUCCEEDED);
    }
  }

  @Test
  void aBrokenLogStreamResumesAfterTheBytesAlreadyCopied() {
    unavailableFirst.set(1);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (HearthClient hearth = client(Duration.ofSeconds(5), Duration.ofSeconds(30))) {
      HearthClient.LogCopy copy = hearth.logs(GetJobLogsRequest.newBuilder().setJobId("j1").build(), out);
      assertThat(copy.bytes()).isEqualTo(LOG.length());
      assertThat(copy.truncated()).isFalse();
    }
    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(LOG);
    assertThat(logRequests).extracting(GetJobLogsRequest::getOffset).containsExactly(0L, 6L);
  }

  @Test
  void aMissingCertificateIsNamed() {
    assertThatThrownBy(() -> HearthClient.builder().tlsDir(certs, "tenant-nobody"))
        .hasMessageContaining("tenant-nobody.pem").hasMessageContaining("cannot be read");
    assertThat(TlsFolder.identities(certs, "tenant")).containsExactly("tenant-acme");
  }

  @Test
  void specsAreCheckedBeforeSending() {
    assertThatThrownBy(() -> JobSpecs.command("x").cores(0).memoryMib(0).instances(10_001).build())
        .hasMessage("cores: 0 (expected: 1..256)\nmemory_mib: 0 (expected: 1..1048576)\ninstances: 10001 (expected: 1..10000)");
    assertThat(JobSpecs.violations(JobSpecs.command("x").build().toBuilder().clearWorkload().build()))
        .containsExactly("workload.argv: 0 entries (expected: 1..1024)");
  }

  private static final String LOG = "hello\nworld\n";

  /** Answers like a scheduler whose first replies are lost. */
  private final class LossyJobService extends JobServiceGrpc.JobServiceImplBase {
    @Override
    public void submitJob(SubmitJobRequest request, StreamObserver<SubmitJobResponse> response) {
      submits.add(request);
      if (unavailableFirst.getAndDecrement() > 0) {
        response.onError(Status.UNAVAILABLE.withDescription("leader changed").asRuntimeException());
        return;
      }
      response.onNext(SubmitJobResponse.newBuilder().setCreated(true)
          .setJob(Job.newBuilder().setJobId("job-" + request.getSpec().getRequestId()).setSpec(request.getSpec())).build());
      response.onCompleted();
    }

    @Override
    public void getJob(GetJobRequest request, StreamObserver<Job> response) {
      if (request.getJobId().equals("unknown")) {
        response.onError(Status.NOT_FOUND.withDescription("job unknown").asRuntimeException());
      }
      // "silent": never answers.
    }

    @Override
    public void watchJobs(WatchJobsRequest request, StreamObserver<JobEvent> response) {
      for (JobState s : List.of(JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_SUCCEEDED)) {
        response.onNext(JobEvent.newBuilder().setJob(Job.newBuilder().setJobId(request.getJobIds(0)).setState(s)).build());
      }
      response.onCompleted();
    }

    @Override
    public void getJobLogs(GetJobLogsRequest request, StreamObserver<LogChunk> response) {
      logRequests.add(request);
      byte[] log = LOG.getBytes(StandardCharsets.UTF_8);
      int from = (int) request.getOffset();
      int to = unavailableFirst.getAndDecrement() > 0 ? from + 6 : log.length;
      response.onNext(LogChunk.newBuilder().setOffset(from).setData(ByteString.copyFrom(log, from, to - from))
          .setKeptSize(log.length).setWrittenSize(log.length).build());
      if (to < log.length) {
        response.onError(Status.UNAVAILABLE.withDescription("node went away").asRuntimeException());
      } else {
        response.onCompleted();
      }
    }
  }

  private static ByteArrayInputStream stream(String pem) {
    return new ByteArrayInputStream(pem.getBytes(StandardCharsets.UTF_8));
  }
}
