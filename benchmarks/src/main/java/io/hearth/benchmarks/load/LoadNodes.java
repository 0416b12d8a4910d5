package io.hearth.benchmarks.load;

import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.hearth.api.v1.Assignment;
import io.hearth.api.v1.AttemptState;
import io.hearth.api.v1.AttemptUpdate;
import io.hearth.api.v1.Hello;
import io.hearth.api.v1.NodeKind;
import io.hearth.api.v1.NodeMessage;
import io.hearth.api.v1.NodeServiceGrpc;
import io.hearth.api.v1.SchedulerMessage;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.Telemetry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Simulated nodes that speak {@code NodeService.Connect} directly, without forking processes: each
 * has its own client certificate and mTLS connection (the scheduler checks that the hello's node id
 * is the certificate's), sends telemetry at the interval the Welcome asks for, and answers an
 * Assignment with RUNNING and then SUCCEEDED (after {@code jobMillis}), the two reports a real
 * agent sends for a short job. The real {@code NodeAgent} forks an OS process per attempt, which
 * caps a 2-core machine at a few hundred jobs/s: this host measures the scheduler, not fork().
 *
 * <p>The fleet: a share of radiators (SEALED, wanting all the heat they can make), the rest
 * data-center machines (CERTIFIED). Nodes do not reconnect: a stream that ends is counted in {@link #disconnects()}.
 */
final class LoadNodes implements AutoCloseable {
  private final List<Node> nodes = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final ScheduledExecutorService timer;
  private final AssignLatency latency;
  private final int jobMillis;
  private final AtomicInteger welcomed = new AtomicInteger();
  private final AtomicInteger disconnects = new AtomicInteger();
  private final AtomicLong telemetrySent = new AtomicLong();
  private final AtomicLong rejectedUpdates = new AtomicLong();
  private final AtomicReference<String> firstError = new AtomicReference<>();

  LoadNodes(AssignLatency latency, int jobMillis) {
    this.latency = latency;
    this.jobMillis = jobMillis;
    AtomicInteger n = new AtomicInteger();
    ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(2, r -> {
      Thread th = new Thread(r, "load-nodes-" + n.incrementAndGet());
      th.setDaemon(true);
      return th;
    });
    t.setRemoveOnCancelPolicy(true);
    this.timer = t;
  }

  /**
   * Connects {@code count} more nodes, at most {@code handshakes} at a time, and waits (at most
   * {@code timeoutSeconds}) until each was welcomed or failed. Node i connects to port {@code portOf(i)}. Returns the welcomed count so far.
   */
  int connect(LoadPki pki, java.util.function.IntUnaryOperator portOf, int count, int cores, int radiatorPercent, int handshakes, double timeoutSeconds)
      throws InterruptedException {
    Semaphore inFlight = new Semaphore(handshakes);
    long deadline = System.nanoTime() + (long) (timeoutSeconds * 1e9);
    int first = nodes.size();
    for (int i = first; i < first + count; i++) {
      boolean radiator = i % 100 < radiatorPercent;
      String id = String.format("load-%s-%05d", radiator ? "rad" : "dc", i);
      if (!inFlight.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        break;
      }
      ManagedChannel ch = Channels.open(portOf.applyAsInt(i), pki.node(id, radiator ? "SEALED" : "CERTIFIED"));
      channels.add(ch);
      Node node = new Node(id, radiator, cores, (i * 0.6180339887) % 1, inFlight);
      nodes.add(node);
      NodeServiceGrpc.newStub(ch).connect(node);
      node.hello();
    }
    // Wait for the last handshakes.
    inFlight.tryAcquire(handshakes, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    return welcomed.get();
  }

  int welcomed() {
    return welcomed.get();
  }

  int disconnects() {
    return disconnects.get();
  }

  long telemetrySent() {
    return telemetrySent.get();
  }

  long rejectedUpdates() {
    return rejectedUpdates.get();
  }

  String firstError() {
    return firstError.get();
  }

  @Override
  public void close() throws InterruptedException {
    timer.shutdownNow();
    for (Node n : nodes) {
      n.end();
    }
    Channels.closeAll(channels);
  }

  /** One node: the stream's both ends. Writes are serialized on the node. */
  private final class Node implements ClientResponseObserver<NodeMessage, SchedulerMessage> {
    private final String id;
    private final boolean radiator;
    private final int cores;
    private final double phase;
    private final Semaphore handshake;
    private ClientCallStreamObserver<NodeMessage> out;
    private boolean released;
    private boolean ended;
    private int busyCores;

    Node(String id, boolean radiator, int cores, double phase, Semaphore handshake) {
      this.id = id;
      this.radiator = radiator;
      this.cores = cores;
      this.phase = phase;
      this.handshake = handshake;
    }

    private double wattsPerCore() {
      return radiator ? 100 : 10;
    }

    private double maxWatts() {
      return cores * wattsPerCore() + 50;
    }

    @Override
    public synchronized void beforeStart(ClientCallStreamObserver<NodeMessage> requestStream) {
      this.out = requestStream;
    }

    void hello() {
      send(NodeMessage.newBuilder().setHello(Hello.newBuilder()
          .setNodeId(id)
          .setKind(radiator ? NodeKind.NODE_KIND_RADIATOR : NodeKind.NODE_KIND_DATACENTER)
          .setSecurityClass(radiator ? SecurityClass.SECURITY_CLASS_SEALED : SecurityClass.SECURITY_CLASS_CERTIFIED)
          .setCores(cores)
          .setMemoryMib(cores * 4096L)
          .setMaxWatts(maxWatts())
          .setWattsPerCore(wattsPerCore())
          .setSite(radiator ? "bldg-" + id.hashCode() % 100 : "dc-1")
          .setRegion("fr-paris")
          .setAgentVersion("hearth-load")).build());
    }

    @Override
    public void onNext(SchedulerMessage m) {
      switch (m.getBodyCase()) {
        case WELCOME -> {
          welcomed.incrementAndGet();
          releaseHandshake();
          telemetry();
          long every = Math.max(1, Durations.toMillis(m.getWelcome().getTelemetryInterval()));
          timer.scheduleAtFixedRate(this::telemetry, (long) (phase * every), every, TimeUnit.MILLISECONDS);
        }
        case ASSIGNMENT -> assigned(m.getAssignment());
        case UPDATE_REJECTED -> rejectedUpdates.incrementAndGet();
        default -> { } // cancellations, preemptions, throttle hints: the jobs end at once anyway
      }
    }

    private void assigned(Assignment a) {
      latency.assigned(a.getJobId());
      synchronized (this) {
        busyCores += a.getCores();
      }
      report(a, AttemptState.ATTEMPT_STATE_RUNNING);
      if (jobMillis == 0) {
        finish(a);
      } else {
        timer.schedule(() -> finish(a), jobMillis, TimeUnit.MILLISECONDS);
      }
    }

    private void finish(Assignment a) {
      synchronized (this) {
        busyCores -= a.getCores();
      }
      report(a, AttemptState.ATTEMPT_STATE_SUCCEEDED);
    }

    private void report(Assignment a, AttemptState state) {
      send(NodeMessage.newBuilder().setAttemptUpdate(AttemptUpdate.newBuilder()
          .setJobId(a.getJobId())
          .setFencingToken(a.getFencingToken())
          .setState(state)
          .setTime(Timestamps.fromMillis(System.currentTimeMillis()))).build());
    }

    private void telemetry() {
      int busy;
      synchronized (this) {
        busy = busyCores;
      }
      double draw = busy * wattsPerCore();
      send(NodeMessage.newBuilder().setTelemetry(Telemetry.newBuilder()
          .setHeatDemandWatts(radiator ? maxWatts() : 0)
          .setForecastHeatDemandWatts(radiator ? maxWatts() : 0)
          .setComputeDrawWatts(draw)
          .setInsideTemperatureC(radiator ? 19 : 25)
          .setSetpointC(radiator ? 20 : 0)
          .setOutdoorTemperatureC(5)
          .setBusyCores(busy)
          .setMeasuredAt(Timestamps.fromMillis(System.currentTimeMillis()))).build());
      telemetrySent.incrementAndGet();
    }

    private synchronized void send(NodeMessage m) {
      if (!ended) {
        out.onNext(m);
      }
    }

    @Override
    public void onError(Throwable t) {
      ended();
      firstError.compareAndSet(null, id + ": " + t);
    }

    @Override
    public void onCompleted() {
      ended();
    }

    private void ended() {
      synchronized (this) {
        ended = true;
      }
      disconnects.incrementAndGet();
      releaseHandshake();
    }

    private synchronized void releaseHandshake() {
      if (!released) {
        released = true;
        handshake.release();
      }
    }

    synchronized void end() {
      if (!ended) {
        ended = true;
        try {
          out.onCompleted();
        } catch (RuntimeException ignored) {
          // the stream already failed
        }
      }
    }
  }
}
