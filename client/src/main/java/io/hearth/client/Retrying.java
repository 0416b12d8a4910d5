package io.hearth.client;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
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
        long sleep = jitter(backoff);
        if (!retryable(e) || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(sleep) - giveUpAt > 0) {
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

  /**
   * The asynchronous {@link #call}: {@code call} starts one try and returns its future; a try that
   * fails retryably is started again after the backoff on {@code timer}, never blocking a thread.
   * The returned future fails with the last try's status once the deadline would be passed.
   */
  public <T> CompletableFuture<T> callAsync(Supplier<CompletableFuture<T>> call, ScheduledExecutorService timer) {
    CompletableFuture<T> result = new CompletableFuture<>();
    tryAsync(call, timer, result, System.nanoTime() + deadline.toNanos(), FIRST_BACKOFF.toMillis());
    return result;
  }

  private <T> void tryAsync(Supplier<CompletableFuture<T>> call, ScheduledExecutorService timer, CompletableFuture<T> result,
      long giveUpAt, long backoff) {
    CompletableFuture<T> attempt;
    try {
      attempt = call.get();
    } catch (RuntimeException e) {
      attempt = CompletableFuture.failedFuture(e);
    }
    attempt.whenComplete((value, failure) -> {
      if (failure == null) {
        result.complete(value);
        return;
      }
      Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
          ? failure.getCause() : failure;
      long sleep = jitter(backoff);
      if (!(cause instanceof StatusRuntimeException sre) || !retryable(sre)
          || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(sleep) - giveUpAt > 0) {
        result.completeExceptionally(cause);
        return;
      }
      retries.incrementAndGet();
      timer.schedule(() -> tryAsync(call, timer, result, giveUpAt, Math.min(MAX_BACKOFF.toMillis(), backoff * 2)),
          sleep, TimeUnit.MILLISECONDS);
    });
  }

  /** Whether a failed try may be sent again: the scheduler was unreachable or changing leader. */
  static boolean retryable(StatusRuntimeException e) {
    Status.Code code = e.getStatus().getCode();
    return code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED
        || code == Status.Code.CANCELLED && !io.grpc.Context.current().isCancelled();
  }

  private long jitter(long backoff) {
    return backoff / 2 + (long) (random.nextDouble() * backoff / 2);
  }

  /** Retries made so far by every call of this instance. */
  public long retries() {
    return retries.get();
  }
}
