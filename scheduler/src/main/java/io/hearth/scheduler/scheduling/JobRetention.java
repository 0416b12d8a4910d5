package io.hearth.scheduler.scheduling;

import io.hearth.scheduler.cluster.JobStore;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes ended jobs once the retention ({@code jobs.retention-seconds}) has passed since they
 * ended, so the cluster state holds the live jobs and a bounded history instead of every job ever
 * run (whose records, indexes and durable copies would otherwise grow without end, and with them the
 * heap and the collector's pauses). Only the leader sweeps, every quarter of the retention (at least
 * every {@value #MIN_PERIOD_MS} ms, at most every {@value #MAX_PERIOD_MS} ms); what a sweep keeps
 * back (a parent that a blocked job waits on, an array job with a live instance) is looked at again
 * at the next. DONATED jobs are kept: the nonprofits' donation reports are computed from them. Runs
 * on its own thread, which blocks on Hazelcast.
 */
public final class JobRetention implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(JobRetention.class);
  static final long MIN_PERIOD_MS = 1_000;
  static final long MAX_PERIOD_MS = 60_000;

  private final JobStore store;
  private final BooleanSupplier leader;
  private final Duration retention;
  private final Clock clock;
  private final IntConsumer deleted;
  private final ScheduledExecutorService thread;

  /** Sweeps from now on unless {@code retention} is zero (every job kept). */
  public JobRetention(JobStore store, BooleanSupplier leader, Duration retention, Clock clock, IntConsumer deleted) {
    this.store = store;
    this.leader = leader;
    this.retention = retention;
    this.clock = clock;
    this.deleted = deleted;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "hearth-job-retention");
      t.setDaemon(true);
      return t;
    });
    if (!retention.isZero()) {
      long period = period(retention);
      thread.scheduleWithFixedDelay(this::sweepGuarded, period, period, TimeUnit.MILLISECONDS);
    }
  }

  static long period(Duration retention) {
    return Math.max(MIN_PERIOD_MS, Math.min(MAX_PERIOD_MS, retention.toMillis() / 4));
  }

  private void sweepGuarded() {
    try {
      if (leader.getAsBoolean()) {
        sweep();
      }
    } catch (RuntimeException e) {
      LOG.warn("job retention sweep failed (the next sweep retries): {}", e.toString());
    }
  }

  /** One sweep: deletes what ended more than the retention ago; returns how many jobs went. */
  int sweep() {
    long t0 = System.nanoTime();
    JobStore.Deleted d = store.deleteEndedBefore(clock.millis() - retention.toMillis(), leader);
    if (d.jobs() > 0) {
      deleted.accept(d.jobs());
      LOG.info("ended jobs deleted: {} that ended more than {} s ago ({} kept back for now), in {} ms", d.jobs(),
          retention.toSeconds(), d.kept(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }
    return d.jobs();
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
