package io.hearth.scheduler.scheduling;

import io.grpc.stub.StreamObserver;
import io.hearth.api.v1.Hello;
import io.hearth.api.v1.NodeKind;
import io.hearth.api.v1.SchedulerMessage;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One node's open {@code Connect} stream. Sends are serialized (a gRPC stream observer is not
 * thread-safe); the latest telemetry is kept in volatile fields by the stream's thread and drained
 * by the placer, so a telemetry report costs no task and no allocation on the placer.
 *
 * <p>The stream is the node's gRPC response stream on the member that holds it, or, on a leader
 * placing for a node connected to another member, a relay over the clustered event bus to that
 * member ({@link ClusterPlacement}).
 *
 * <p>The node's own stream also measures how much of each attempt's energy went into a room or tank
 * that wanted it (the useful-heat fraction, weighted by time over the telemetry received while the
 * attempt ran), so that the member holding the stream records it with the attempt's end in one
 * write.
 */
public final class NodeSession {

  private final Hello hello;
  private final int securityClass;
  private final StreamObserver<SchedulerMessage> stream;
  private final AtomicBoolean telemetryDirty = new AtomicBoolean();
  private volatile boolean open = true;
  private volatile double heatDemandWatts;
  private volatile double computeDrawWatts;
  private volatile double insideTemperatureC;
  private volatile double outdoorTemperatureC;
  private volatile double forecastHeatDemandWatts = -1;
  /** Whether the hello is the node's own, just sent: only then does it list every attempt the node runs. */
  private final java.util.concurrent.atomic.AtomicBoolean freshHello = new java.util.concurrent.atomic.AtomicBoolean(true);
  private volatile int throttledCores;
  private volatile long lastSeenMillis;
  /** Whether this is the node's own stream, which measures its attempts' heat (not a leader's relay). */
  private final boolean measuresHeat;
  /**
   * Per attempt the node was assigned on this stream: {useful fraction x ms, ms, latest fraction}.
   * Guarded by this; at most {@value #MAX_MEASURED} (a node runs at most 1,024 attempts).
   */
  private final Map<Long, double[]> attemptHeat = new HashMap<>();
  static final int MAX_MEASURED = 4_096;
  private long lastHeatSampleMillis;

  /** A relay of a node's stream (no heat measured here). */
  public NodeSession(Hello hello, int securityClass, StreamObserver<SchedulerMessage> stream, long nowMillis) {
    this(hello, securityClass, stream, nowMillis, false);
  }

  /** {@code measuresHeat}: true for the node's own stream, on the member that holds it. */
  public NodeSession(Hello hello, int securityClass, StreamObserver<SchedulerMessage> stream, long nowMillis,
      boolean measuresHeat) {
    this.hello = hello;
    this.securityClass = securityClass;
    this.stream = stream;
    this.lastSeenMillis = nowMillis;
    this.measuresHeat = measuresHeat;
  }

  /**
   * Share of a node's compute draw that its room or tank wants: 0 on a data-center node; on a
   * heater drawing nothing, 1 while it wants heat.
   */
  static double usefulFraction(boolean heater, double demandWatts, double drawWatts) {
    if (!heater) {
      return 0;
    }
    if (drawWatts <= 0) {
      return demandWatts > 0 ? 1 : 0;
    }
    return Math.min(drawWatts, demandWatts) / drawWatts;
  }

  private double usefulFractionNow() {
    return usefulFraction(hello.getKind() != NodeKind.NODE_KIND_DATACENTER, heatDemandWatts, computeDrawWatts);
  }

  /**
   * The time-weighted useful-heat fraction of an attempt whose end the node reports, forgetting
   * it; null when this stream did not carry the attempt's assignment (the leader accounts it then).
   */
  public synchronized Double endedAttemptFraction(long token) {
    double[] h = attemptHeat.remove(token);
    if (h == null) {
      return null;
    }
    return h[1] > 0 ? h[0] / h[1] : h[2];
  }

  public String nodeId() {
    return hello.getNodeId();
  }

  public Hello hello() {
    return hello;
  }

  /** The class placement trusts (from the certificate once mTLS is on; the hello's claim in dev mode). */
  public int securityClass() {
    return securityClass;
  }

  public boolean isOpen() {
    return open;
  }

  /** Sends one message down the stream; false when the stream is already closed. */
  public synchronized boolean send(SchedulerMessage message) {
    if (!open) {
      return false;
    }
    if (measuresHeat && message.hasAssignment()) {
      if (attemptHeat.size() >= MAX_MEASURED) {
        attemptHeat.clear();
      }
      attemptHeat.put(message.getAssignment().getFencingToken(), new double[] {0, 0, usefulFractionNow()});
    }
    try {
      stream.onNext(message);
      return true;
    } catch (RuntimeException e) {
      open = false;
      return false;
    }
  }

  /** Ends the stream from the scheduler's side with a status. */
  public synchronized void close(io.grpc.Status status) {
    if (open) {
      open = false;
      try {
        stream.onError(status.asRuntimeException());
      } catch (RuntimeException ignored) {
        // already cancelled by the peer
      }
    }
  }

  void markClosed() {
    open = false;
  }

  /** Records a telemetry report; returns true when the placer must be told (first report since the last drain). */
  public boolean recordTelemetry(double demand, double draw, double inside, double outdoor, long nowMillis) {
    heatDemandWatts = demand;
    computeDrawWatts = draw;
    insideTemperatureC = inside;
    outdoorTemperatureC = outdoor;
    lastSeenMillis = nowMillis;
    if (measuresHeat) {
      measureHeat(nowMillis);
    }
    return telemetryDirty.compareAndSet(false, true);
  }

  /** Adds the time since the previous report to each running attempt, at the fraction now reported. */
  private synchronized void measureHeat(long nowMillis) {
    if (lastHeatSampleMillis > 0 && !attemptHeat.isEmpty()) {
      double dt = Math.max(0, nowMillis - lastHeatSampleMillis);
      double fraction = usefulFractionNow();
      for (double[] h : attemptHeat.values()) {
        h[0] += fraction * dt;
        h[1] += dt;
        h[2] = fraction;
      }
    }
    lastHeatSampleMillis = nowMillis;
  }

  public void touch(long nowMillis) {
    lastSeenMillis = nowMillis;
  }

  boolean clearDirty() {
    return telemetryDirty.getAndSet(false);
  }

  /** Records the forecast and throttle figures of the latest telemetry (forecast -1: none sent). */
  public void recordOutlook(double forecastWatts, int throttled) {
    forecastHeatDemandWatts = forecastWatts;
    throttledCores = throttled;
  }

  /** The forecast heat demand over the next hours, or the current demand when the node sent none. */
  public double forecastHeatDemandWatts() {
    double f = forecastHeatDemandWatts;
    return f < 0 ? heatDemandWatts : f;
  }

  public int throttledCores() { return throttledCores; }

  /**
   * True once, for a hello the node has just sent on this stream; false for a hello replayed later
   * (a new leader learning an existing stream), whose list of running attempts may be out of date.
   */
  public boolean takeFreshHello() {
    return freshHello.getAndSet(false);
  }

  /** The forecast as reported (-1: none), for relaying to the leader. */
  public double forecastRaw() { return forecastHeatDemandWatts; }
  public double heatDemandWatts() { return heatDemandWatts; }
  public double computeDrawWatts() { return computeDrawWatts; }
  public double insideTemperatureC() { return insideTemperatureC; }
  public double outdoorTemperatureC() { return outdoorTemperatureC; }
  public long lastSeenMillis() { return lastSeenMillis; }
}
