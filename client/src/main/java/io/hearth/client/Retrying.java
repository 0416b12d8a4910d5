package io.hearth.client;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Retries a call while the scheduler answers {@code UNAVAILABLE} (a member died, the leader
 * changed, the cluster lost its majority), or {@code CANCELLED} by a member going down mid-call
 * (never when the caller's own context was cancelled): with backoff and jitter, up to a deadline. Safe for
 * submissions because the caller sends the same request, hence the same {@code request_id}, every
 * time: a retry of a submission that was in fact accepted finds the original job
 * ({@code created = false}) instead of creating a second one. Other statuses are not retried.
 *
 * <pre>{@code
 * Retrying retry = Retrying.upTo(Duration.ofSeconds(60));
 * SubmitJobResponse r = retry.call(() -> stub.withDeadlineAfter(10, SECONDS).submitJob(request));
 * }</pre>
 *
 * <p>Immutable and thread-safe; {@link #retries()} counts the retries made by all calls.
 */
public final class Retrying {

  private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

  private final Duration deadline;
  private final Random random = new Random();
  private final java.util.concurrent.atomic.AtomicLong retries = new java.util.concurrent.atomic.AtomicLong();

  private Retrying(Duration deadline) {
    this.deadline = deadline;
  }

  /** Retries for at most {@code deadline} in total per call. */
  public static Retrying upTo(Duration deadline) {
    if (deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("deadline: " + deadline + " (expected: positive)");
    }
    return new Retrying(deadline);
  }

  /** Runs {@code call}, retrying UNAVAILABLE, a member's CANCELLED and DEADLINE_EXCEEDED of one try until the deadline. */
  public <T> T call(Supplier<T> call) {
    long giveUpAt = System.nanoTime() + deadline.toNanos();
    long backoff = FIRST_BACKOFF.toMillis();
    while (true) {
      try {
        return call.get();
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        boolean retryable = code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED
            || code == Status.Code.CANCELLED && !io.grpc.Context.current().isCancelled();
        long sleep = backoff / 2 + (long) (random.nextDouble() * backoff / 2);
        if (!retryable || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(sleep) - giveUpAt > 0) {
          throw e;
        }
        retries.incrementAndGet();
        try {
          Thread.sleep(sleep);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
        backoff = Math.min(MAX_BACKOFF.toMillis(), backoff * 2);
      }
    }
  }

  /** Retries made so far by every call of this instance. */
  public long retries() {
    return retries.get();
  }
}
