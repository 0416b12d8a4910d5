package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.hearth.api.v1.JobEvent;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.ListJobsRequest;
import io.hearth.api.v1.WatchJobsRequest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Per-identity request rate and open-stream limits answer RESOURCE_EXHAUSTED and spare other callers. */
class LimitsIT {

  @Test
  void anIdentityOverItsRateOrStreamLimitGetsResourceExhaustedAndOthersAreServed() throws Exception {
    try (TestScheduler hearth = TestScheduler.start(TestScheduler.options()
        .requestsPerSecond(1).requestBurst(5).streamsPerIdentity(2).build())) {
      JobServiceGrpc.JobServiceBlockingStub greedy = hearth.jobs("tenant/greedy");
      for (int i = 0; i < 5; i++) {
        greedy.listJobs(ListJobsRequest.getDefaultInstance());
      }
      assertThatThrownBy(() -> greedy.listJobs(ListJobsRequest.getDefaultInstance()))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
            assertThat(e.getStatus().getDescription()).isEqualTo("request rate of tenant/greedy over 1.0/s (burst 5.0)");
          });
      // Another identity is not affected.
      hearth.jobs("tenant/polite").listJobs(ListJobsRequest.getDefaultInstance());

      JobServiceGrpc.JobServiceStub watcher = JobServiceGrpc.newStub(hearth.channel("tenant/watcher"));
      io.grpc.Context.CancellableContext ctx = io.grpc.Context.current().withCancellation();
      // The three streams start concurrently: whichever reaches the server last is the one refused.
      CompletableFuture<Status> third = new CompletableFuture<>();
      ctx.run(() -> {
        for (int i = 0; i < 3; i++) {
          watcher.watchJobs(WatchJobsRequest.getDefaultInstance(), new StreamObserver<>() {
            @Override public void onNext(JobEvent e) {}
            @Override public void onError(Throwable t) { third.complete(Status.fromThrowable(t)); }
            @Override public void onCompleted() { third.complete(Status.OK); }
          });
        }
      });
      Status s = third.get(10, TimeUnit.SECONDS);
      assertThat(s.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(s.getDescription()).isEqualTo("open streams of tenant/watcher over 2");
      ctx.cancel(null);
    }
  }
}
