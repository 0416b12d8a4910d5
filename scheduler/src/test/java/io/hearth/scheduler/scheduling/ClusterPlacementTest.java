package io.hearth.scheduler.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.grpc.stub.StreamObserver;
import io.hearth.api.v1.Hello;
import io.hearth.api.v1.NodeKind;
import io.hearth.api.v1.SchedulerMessage;
import io.hearth.api.v1.SecurityClass;
import io.hearth.scheduler.audit.AuditLog;
import io.hearth.scheduler.cluster.DurableStore;
import io.hearth.scheduler.cluster.HazelcastConfigs;
import io.hearth.scheduler.cluster.JobStore;
import io.hearth.scheduler.config.SchedulerOptions;
import io.hearth.scheduler.placement.PlacementEngine;
import io.hearth.scheduler.placement.PlacementOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member's placement relay across a leader change, on a real Hazelcast member and a real Vert.x
 * event bus: the hello this member sent the leader for its own node stream, before it came to lead
 * and arriving once it does, must not become a second session of that stream (found by the
 * high-availability system test: the relay superseded the node's real stream and took back, as
 * lost, a job the node was running, which then ran twice).
 */
class ClusterPlacementTest {

  @TempDir Path dir;
  private DurableStore durable;
  private HazelcastInstance hz;
  private Vertx vertx;
  private AuditLog audit;
  private ClusterPlacement placement;

  @BeforeEach
  void start() {
    SchedulerOptions options = SchedulerOptions.builder()
        .clusterName("cluster-placement-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime())
        .storeDataDir(dir.resolve("db").toString()).build();
    durable = DurableStore.open(options);
    hz = Hazelcast.newHazelcastInstance(HazelcastConfigs.build(options, durable));
    vertx = Vertx.vertx();
    audit = AuditLog.open(dir.resolve("audit.log"), Clock.systemUTC());
    JobStore store = new JobStore(hz, (job, encoded) -> { });
    placement = new ClusterPlacement(vertx, "m-1", Duration.ofSeconds(1),
        () -> new Placer(options, store, Clock.systemUTC(), new PlacementEngine(PlacementOptions.defaults()), audit));
  }

  @AfterEach
  void stop() {
    placement.close();
    vertx.close().toCompletionStage().toCompletableFuture().join();
    audit.close();
    hz.shutdown();
    durable.close();
  }

  @Test
  void aHelloThisMemberSentBeforeItLedDoesNotSupersedeItsOwnStream() throws Exception {
    List<Throwable> closed = new CopyOnWriteArrayList<>();
    StreamObserver<SchedulerMessage> stream = new StreamObserver<>() {
      @Override public void onNext(SchedulerMessage m) { }
      @Override public void onError(Throwable t) { closed.add(t); }
      @Override public void onCompleted() { closed.add(new IllegalStateException("completed")); }
    };
    Hello hello = Hello.newBuilder().setNodeId("dc-1").setKind(NodeKind.NODE_KIND_DATACENTER)
        .setSecurityClass(SecurityClass.SECURITY_CLASS_CERTIFIED).setCores(4).setMemoryMib(4096).build();
    NodeSession session = new NodeSession(hello, SecurityClass.SECURITY_CLASS_CERTIFIED_VALUE, stream,
        System.currentTimeMillis(), true);

    // The node connects while no member leads: its hello goes out to the leader, whoever that is.
    placement.connected(session);
    placement.leadershipChanged(true);
    assertThat(placement.isLeader()).isTrue();
    // The hello this member sent then reaches its own leader address now that it leads.
    DeliveryOptions late = new DeliveryOptions().addHeader("op", "hello").addHeader("member", "m-1")
        .addHeader("serial", "1").addHeader("class", Integer.toString(SecurityClass.SECURITY_CLASS_CERTIFIED_VALUE))
        .addHeader("fresh", "true");
    vertx.eventBus().request(ClusterPlacement.LEADER + ".m-1", Buffer.buffer(hello.toByteArray()), late)
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

    // The node's own stream stays the one the placer uses.
    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> session.isOpen() && closed.isEmpty());
  }
}
