package io.hearth.scheduler.api;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Per-identity limits: a token bucket of requests per second (with a burst) and a cap on open
 * streams (WatchJobs, Connect). Identities come only from CA-issued certificates, so the maps stay
 * bounded by the certificates the operator issued. Thread-safe.
 */
public final class CallLimits {

  private final double perSecond;
  private final double burst;
  private final int maxStreams;
  private final LongSupplier nanoTime;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicInteger> streams = new ConcurrentHashMap<>();

  public CallLimits(double perSecond, double burst, int maxStreams, LongSupplier nanoTime) {
    this.perSecond = perSecond;
    this.burst = burst;
    this.maxStreams = maxStreams;
    this.nanoTime = nanoTime;
  }

  public double requestsPerSecond() {
    return perSecond;
  }

  public double burst() {
    return burst;
  }

  public int maxStreams() {
    return maxStreams;
  }

  public boolean tryAcquireRequest(Identity who) {
    return buckets.computeIfAbsent(who.toString(), k -> new Bucket(burst, nanoTime.getAsLong())).take(nanoTime.getAsLong());
  }

  public boolean tryOpenStream(Identity who) {
    AtomicInteger open = streams.computeIfAbsent(who.toString(), k -> new AtomicInteger());
    if (open.incrementAndGet() > maxStreams) {
      open.decrementAndGet();
      return false;
    }
    return true;
  }

  public void closeStream(Identity who) {
    AtomicInteger open = streams.get(who.toString());
    if (open != null) {
      open.decrementAndGet();
    }
  }

  private final class Bucket {
    private double tokens;
    private long last;

    Bucket(double tokens, long now) {
      this.tokens = tokens;
      this.last = now;
    }

    synchronized boolean take(long now) {
      tokens = Math.min(burst, tokens + (now - last) * perSecond / 1e9);
      last = now;
      if (tokens >= 1) {
        tokens -= 1;
        return true;
      }
      return false;
    }
  }
}
