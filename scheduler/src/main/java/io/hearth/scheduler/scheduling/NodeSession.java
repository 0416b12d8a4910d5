package io.hearth.scheduler.scheduling;

import io.grpc.stub.StreamObserver;
import io.hearth.api.v1.Hello;
import io.hearth.api.v1.SchedulerMessage;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One node's open {@code Connect} stream. Sends are serialized (a gRPC stream observer is not
 * thread-safe); the latest telemetry is kept in volatile fields by the stream's thread and drained
 * by the placer, so a telemetry report costs no task and no allocation on the placer.
 *
 * <p>The stream is the node's gRPC response stream on the member that holds it, or, on a leader
 * placing for a node connected to another member, a relay over the clustered event bus to that
 * member ({@link ClusterPlacement}).
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

  public NodeSession(Hello hello, int securityClass, StreamObserver<SchedulerMessage> stream, long nowMillis) {
    this.hello = hello;
    this.securityClass = securityClass;
    this.stream = stream;
    this.lastSeenMillis = nowMillis;
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
    return telemetryDirty.compareAndSet(false, true);
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
