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
      // Three streams race to the server; whichever arrives third is refused, the other two stay open.
      java.util.List<CompletableFuture<Status>> ends = java.util.List.of(new CompletableFuture<>(),
          new CompletableFuture<>(), new CompletableFuture<>());
      ctx.run(() -> {
        for (CompletableFuture<Status> f : ends) {
          watcher.watchJobs(WatchJobsRequest.getDefaultInstance(), new StreamObserver<>() {
            @Override public void onNext(JobEvent e) {}
            @Override public void onError(Throwable t) { f.complete(Status.fromThrowable(t)); }
            @Override public void onCompleted() { f.complete(Status.OK); }
          });
        }
      });
      Status s = (Status) CompletableFuture.anyOf(ends.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
      assertThat(s.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(s.getDescription()).isEqualTo("open streams of tenant/watcher over 2");
      assertThat(ends.stream().filter(CompletableFuture::isDone).count()).isEqualTo(1);
      ctx.cancel(null);
    }
  }
}
