package io.hearth.worker.agent;

import java.time.Duration;
import java.util.Random;

/**
 * Exponential backoff with jitter: the n-th delay is drawn uniformly from [d/2, d] where
 * d = min(max, initial * 2^n). Not thread-safe; owned by one agent's serial context.
 */
final class Backoff {
  private final long initialNanos;
  private final long maxNanos;
  private final Random random;
  private int attempts;

  Backoff(Duration initial, Duration max, Random random) {
    this.initialNanos = initial.toNanos();
    this.maxNanos = Math.max(initialNanos, max.toNanos());
    this.random = random;
  }

  Duration next() {
    long d = initialNanos;
    for (int i = 0; i < attempts && d < maxNanos; i++) {
      d *= 2;
    }
    d = Math.min(d, maxNanos);
    attempts++;
    long half = d / 2;
    return Duration.ofNanos(half + (long) (random.nextDouble() * (d - half)));
  }

  void reset() {
    attempts = 0;
  }
}
