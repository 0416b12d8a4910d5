package io.hearth.scheduler.it;

import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.hearth.api.v1.AttemptState;
import io.hearth.api.v1.AttemptUpdate;
import io.hearth.api.v1.Hello;
import io.hearth.api.v1.NodeKind;
import io.hearth.api.v1.NodeMessage;
import io.hearth.api.v1.NodeServiceGrpc;
import io.hearth.api.v1.SchedulerMessage;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.Telemetry;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A hand-driven node on a real Connect stream, for tests that must say exactly what a node sends
 * (a stale fencing token, a report for another node's attempt). Messages from the scheduler are
 * queued for the test to take.
 */
final class RawNode implements AutoCloseable {

  final BlockingQueue<SchedulerMessage> received = new LinkedBlockingQueue<>();
  final StreamObserver<NodeMessage> up;
  volatile Throwable error;

  /** A node whose certificate attests {@code attestedClass} (e.g. "CERTIFIED"). */
  RawNode(TestScheduler hearth, String nodeId, String attestedClass) {
    this(hearth.channel("node/" + nodeId + "/" + attestedClass));
  }

  RawNode(ManagedChannel channel) {
    NodeServiceGrpc.NodeServiceStub stub = NodeServiceGrpc.newStub(channel);
    up = stub.connect(new StreamObserver<>() {
          @Override public void onNext(SchedulerMessage m) { received.add(m); }
          @Override public void onError(Throwable t) { error = t; }
          @Override public void onCompleted() {}
        });
  }

  static Hello.Builder hello(String nodeId, NodeKind kind, SecurityClass cls, int cores) {
    return Hello.newBuilder().setNodeId(nodeId).setKind(kind).setSecurityClass(cls).setCores(cores)
        .setMemoryMib(8192).setMaxWatts(600).setWattsPerCore(150).setSite("test-site").setRegion("fr-paris");
  }

  void send(Hello h) {
    synchronized (up) {
      up.onNext(NodeMessage.newBuilder().setHello(h).build());
    }
  }

  void telemetry(double demand, double draw) {
    synchronized (up) {
      up.onNext(NodeMessage.newBuilder().setTelemetry(Telemetry.newBuilder()
          .setHeatDemandWatts(demand).setComputeDrawWatts(draw).setSetpointC(20).setInsideTemperatureC(18)).build());
    }
  }

  void report(String jobId, long token, AttemptState state, int exitCode) {
    synchronized (up) {
      up.onNext(NodeMessage.newBuilder().setAttemptUpdate(AttemptUpdate.newBuilder()
          .setJobId(jobId).setFencingToken(token).setState(state).setExitCode(exitCode)).build());
    }
  }

  /** The next message of the given kind, skipping others (e.g. the Welcome). */
  SchedulerMessage next(SchedulerMessage.BodyCase kind, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      SchedulerMessage m = received.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
      if (m == null) {
        throw new AssertionError("no " + kind + " within " + within + (error != null ? "; stream failed: " + error : ""));
      }
      if (m.getBodyCase() == kind) {
        return m;
      }
    }
  }

  @Override
  public void close() {
    try {
      up.onCompleted();
    } catch (RuntimeException ignored) {
      // already closed by the scheduler
    }
  }
}
