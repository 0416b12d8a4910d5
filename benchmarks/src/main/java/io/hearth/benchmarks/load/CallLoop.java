package io.hearth.benchmarks.load;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Issues asynchronous calls with at most {@code inFlight} outstanding, bounded by a call count and
 * a time. Closed loop (next call as soon as one completes) when {@code ratePerSecond} is 0; open
 * loop otherwise: call i is due at {@code start + i / rate}, and its latency counts from that due
 * time, so a stalled server shows in the histogram instead of silently slowing the sender.
 */
final class CallLoop {

  /** One call; the future yields how many operations it completed (1 for a unary call, the accepted jobs of a batch). */
  interface Call {
    ListenableFuture<Integer> start(long index, long dueNanos);
  }

  /** What a loop did. Latencies in microseconds, from the due time to the response. */
  record Result(long calls, long ops, long failedCalls, String firstError, long elapsedNanos, Histogram latencyMicros) {
    double opsPerSecond() {
      return elapsedNanos == 0 ? 0 : ops * 1e9 / elapsedNanos;
    }

    double callsPerSecond() {
      return elapsedNanos == 0 ? 0 : (calls - failedCalls) * 1e9 / elapsedNanos;
    }
  }

  private CallLoop() {}

  static Result run(int inFlight, long maxCalls, double maxSeconds, double ratePerSecond, Call call)
      throws InterruptedException {
    Semaphore permits = new Semaphore(inFlight);
    Recorder latency = new Recorder(3);
    AtomicLong ops = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicReference<String> firstError = new AtomicReference<>();
    long start = System.nanoTime();
    long deadline = start + (long) (maxSeconds * 1e9);
    long issued = 0;
    while (issued < maxCalls) {
      long due = ratePerSecond > 0 ? start + (long) (issued * 1e9 / ratePerSecond) : System.nanoTime();
      if (due >= deadline) {
        break;
      }
      long now;
      while ((now = System.nanoTime()) < due) {
        LockSupport.parkNanos(due - now);
      }
      if (!permits.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        break;
      }
      long dueAt = due;
      ListenableFuture<Integer> f;
      try {
        f = call.start(issued, dueAt);
      } catch (RuntimeException e) {
        permits.release();
        failed.incrementAndGet();
        firstError.compareAndSet(null, e.toString());
        issued++;
        continue;
      }
      issued++;
      Futures.addCallback(f, new FutureCallback<>() {
        @Override
        public void onSuccess(Integer n) {
          latency.recordValue(Math.max(0, (System.nanoTime() - dueAt) / 1000));
          ops.addAndGet(n);
          permits.release();
        }

        @Override
        public void onFailure(Throwable t) {
          failed.incrementAndGet();
          firstError.compareAndSet(null, t.toString());
          permits.release();
        }
      }, MoreExecutors.directExecutor());
    }
    // Let the calls in flight finish (bounded): they count, and the elapsed time includes them.
    boolean drained = permits.tryAcquire(inFlight, 30, TimeUnit.SECONDS);
    long elapsed = System.nanoTime() - start;
    if (!drained) {
      firstError.compareAndSet(null, "calls still in flight 30 s after the loop ended");
    }
    return new Result(issued, ops.get(), failed.get(), firstError.get(), elapsed, latency.getIntervalHistogram());
  }
}
