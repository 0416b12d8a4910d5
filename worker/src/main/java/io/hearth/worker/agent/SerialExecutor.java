package io.hearth.worker.agent;

import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in submission order, on a shared delegate executor: an agent's
 * single-threaded context without a thread of its own, so thousands of agents can share a few
 * threads. A task that throws is logged and does not stop the queue.
 */
final class SerialExecutor implements Executor {
  private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);

  private final Executor delegate;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();

  SerialExecutor(Executor delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  @Override
  public void execute(Runnable task) {
    tasks.add(Objects.requireNonNull(task, "task"));
    schedule();
  }

  private void schedule() {
    if (scheduled.compareAndSet(false, true)) {
      try {
        delegate.execute(this::drain);
      } catch (RejectedExecutionException e) {
        scheduled.set(false);
        tasks.clear();
        log.debug("executor shut down; dropped pending tasks");
      }
    }
  }

  private void drain() {
    try {
      // Bounded batch so one busy agent cannot starve others on the shared pool.
      for (int i = 0; i < 64; i++) {
        Runnable r = tasks.poll();
        if (r == null) {
          break;
        }
        try {
          r.run();
        } catch (RuntimeException | Error e) {
          log.error("task failed", e);
        }
      }
    } finally {
      scheduled.set(false);
      if (!tasks.isEmpty()) {
        schedule();
      }
    }
  }
}
