package io.hearth.scheduler.it;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.Tier;
import io.hearth.api.v1.Workload;
import io.hearth.scheduler.HearthScheduler;
import io.hearth.scheduler.api.IdentityInterceptor;
import io.hearth.scheduler.config.SchedulerOptions;
import java.time.Duration;
import java.util.UUID;

/**
 * A real scheduler member on loopback for integration tests: free ports, its own Hazelcast
 * cluster name (so members of parallel tests never join each other) and a client channel.
 */
public final class TestScheduler implements AutoCloseable {

  public final HearthScheduler scheduler;
  public final ManagedChannel channel;

  private TestScheduler(HearthScheduler scheduler) {
    this.scheduler = scheduler;
    this.channel = NettyChannelBuilder.forAddress("127.0.0.1", scheduler.grpcPort()).usePlaintext().build();
  }

  public static SchedulerOptions.Builder options() {
    return SchedulerOptions.builder()
        .grpcPort(0)
        .httpPort(0)
        .clusterName("hearth-test-" + UUID.randomUUID())
        .clusterPort(15701)
        .nodeTimeout(Duration.ofSeconds(3))
        .telemetryInterval(Duration.ofMillis(200))
        .sweepInterval(Duration.ofMillis(200));
  }

  public static TestScheduler start(SchedulerOptions options) {
    return new TestScheduler(HearthScheduler.start(options));
  }

  public int port() {
    return scheduler.grpcPort();
  }

  public JobServiceGrpc.JobServiceBlockingStub jobs(String identity) {
    return as(JobServiceGrpc.newBlockingStub(channel), identity);
  }

  public static <S extends AbstractStub<S>> S as(S stub, String identity) {
    Metadata md = new Metadata();
    md.put(IdentityInterceptor.IDENTITY_HEADER, identity);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md))
        .withDeadlineAfter(java.time.Duration.ofSeconds(30).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** A small valid spec running {@code argv}. */
  public static JobSpec.Builder spec(String requestId, String... argv) {
    return JobSpec.newBuilder()
        .setRequestId(requestId)
        .setName(requestId)
        .setTier(Tier.TIER_ON_DEMAND)
        .setMinSecurityClass(SecurityClass.SECURITY_CLASS_OPEN)
        .setCores(1)
        .setMemoryMib(64)
        .setWorkload(Workload.newBuilder().addAllArgv(java.util.List.of(argv)));
  }

  @Override
  public void close() {
    channel.shutdownNow();
    scheduler.close();
  }
}
