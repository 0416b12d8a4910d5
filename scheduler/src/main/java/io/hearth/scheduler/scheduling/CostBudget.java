package io.hearth.scheduler.scheduling;

import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Paces a periodic pass whose cost grows with what it reads (a pass over the queue, the live jobs
 * or the job history): after a pass that took {@code T}, the next one is due only once
 * {@code factor * T} has passed (at most {@code maxWait}), so the pass keeps to about
 * {@code 1/factor} of a thread however large the data grows, instead of taking time from the
 * placement it serves. A small pass stays due at every tick; a pass in flight is not due again
 * (for at most {@code maxWait}), so a tick that comes while a long pass runs does not start a
 * second one. Thread-safe.
 */
public final class CostBudget {

  private final int factor;
  private final long maxWaitNanos;
  private final LongSupplier nanoTime;
  private volatile long notBefore;

  public CostBudget(int factor, Duration maxWait) {
    this(factor, maxWait, System::nanoTime);
  }

  CostBudget(int factor, Duration maxWait, LongSupplier nanoTime) {
    if (factor < 1) {
      throw new IllegalArgumentException("factor: " + factor + " (expected: >= 1)");
    }
    this.factor = factor;
    this.maxWaitNanos = maxWait.toNanos();
    this.nanoTime = nanoTime;
    this.notBefore = nanoTime.getAsLong();
  }

  /** Whether a pass may run now. */
  public boolean due() {
    return nanoTime.getAsLong() - notBefore >= 0;
  }

  /**
   * Runs a pass now and returns its result: it is not due again while it runs (for at most
   * {@code maxWait}), and the next one is paced by its duration, whether it failed or not.
   */
  public <T> T timed(Supplier<T> pass) {
    long start = start();
    try {
      return pass.get();
    } finally {
      spent(start);
    }
  }

  /** Runs the pass, {@link #timed}, if it is due; returns whether it ran. */
  public boolean runIfDue(Runnable pass) {
    if (!due()) {
      return false;
    }
    timed(() -> {
      pass.run();
      return null;
    });
    return true;
  }

  /**
   * Begins a pass: it is not due again until {@link #spent}, or {@code maxWait} if that never
   * comes. Returns the time to pass to {@link #spent}.
   */
  long start() {
    long now = nanoTime.getAsLong();
    notBefore = now + maxWaitNanos;
    return now;
  }

  /** Records a pass that began at {@code startNanos} (from {@link #start}) and ends now, failed or not. */
  void spent(long startNanos) {
    long now = nanoTime.getAsLong();
    notBefore = now + Math.min(Math.max(0, now - startNanos) * factor, maxWaitNanos);
  }
}
