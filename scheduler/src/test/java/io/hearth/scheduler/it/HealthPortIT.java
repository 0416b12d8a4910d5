package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.ListJobsRequest;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The plaintext health port Kubernetes' gRPC probes use: it answers grpc.health.v1.Health and
 * nothing else, the main port still refuses plaintext, and a graceful stop turns the status
 * NOT_SERVING before the port closes.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HealthPortIT {

  static TestScheduler hearth;
  static ManagedChannel plaintextHealth;
  static boolean closed;

  @BeforeAll
  static void start() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    hearth = TestScheduler.start(TestScheduler.options().healthPort(port).build());
    plaintextHealth = Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create()).build();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    plaintextHealth.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    if (!closed) {
      hearth.close();
    }
  }

  @Test
  @Order(1)
  void thePlaintextHealthPortAnswersServingOnceTheMemberIsUp() {
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(plaintextHealth)
        .withDeadlineAfter(10, TimeUnit.SECONDS);
    assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);
    assertThat(health.check(HealthCheckRequest.newBuilder().setService(JobServiceGrpc.SERVICE_NAME).build()).getStatus())
        .isEqualTo(ServingStatus.SERVING);
  }

  @Test
  @Order(2)
  void thePlaintextHealthPortServesNoHearthService() {
    assertThatThrownBy(() -> JobServiceGrpc.newBlockingStub(plaintextHealth).withDeadlineAfter(10, TimeUnit.SECONDS)
        .listJobs(ListJobsRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));
  }

  @Test
  @Order(3)
  void theMainPortStillRefusesPlaintext() throws InterruptedException {
    ManagedChannel plaintextMain = Grpc.newChannelBuilderForAddress("127.0.0.1", hearth.port(),
        InsecureChannelCredentials.create()).build();
    try {
      assertThatThrownBy(() -> HealthGrpc.newBlockingStub(plaintextMain).withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    } finally {
      plaintextMain.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @Order(4)
  void aGracefulStopTurnsTheProbeNotServingBeforeThePortCloses() throws Exception {
    BlockingQueue<ServingStatus> seen = new LinkedBlockingQueue<>();
    HealthGrpc.newStub(plaintextHealth).watch(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
      @Override public void onNext(HealthCheckResponse r) { seen.add(r.getStatus()); }
      @Override public void onError(Throwable t) {}
      @Override public void onCompleted() {}
    });
    assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo(ServingStatus.SERVING);
    closed = true;
    hearth.close();
    assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo(ServingStatus.NOT_SERVING);
  }
}
