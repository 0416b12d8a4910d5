package io.hearth.scheduler.metrics;

import com.hazelcast.core.HazelcastInstance;
import io.hearth.api.v1.JobState;
import io.hearth.scheduler.cluster.JobStore;
import io.hearth.scheduler.job.JobLifecycle;
import io.hearth.scheduler.scheduling.CostBudget;
import io.hearth.scheduler.scheduling.FleetSnapshot;
import io.hearth.scheduler.scheduling.Placer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Aggregates the fleet periodically, off the event loop: the placer copies its state on its own
 * thread ({@link Placer#snapshot()}), then a worker thread counts jobs by state in Hazelcast and
 * computes the {@link FleetFigures}; listeners (the dashboard's live stream, the per-site metrics)
 * get each result on the event loop of the timer. Metrics gauges and the admin API read
 * {@link #latest()} from any thread. One aggregation runs at a time; a tick that finds one in
 * flight is skipped.
 */
public final class FleetMonitor implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(FleetMonitor.class);

  private final Vertx vertx;
  private final io.hearth.scheduler.scheduling.ClusterPlacement placer;
  private final HazelcastInstance hz;
  private final JobStore store;
  private final List<Consumer<FleetFigures>> listeners = new CopyOnWriteArrayList<>();
  private final io.vertx.core.Context context;
  private final long timer;
  private volatile FleetFigures latest = FleetFigures.EMPTY;
  private Future<FleetFigures> inFlight;
  /** Countings so far (one aggregation runs at a time, on whichever worker thread; hence volatile). */
  private volatile long aggregations;
  /** The last counts with the ended states counted (live states are counted each time anyway). */
  private volatile long[] endedCounts = new long[FleetFigures.JOB_STATES + 1];
  /** How often, in aggregations, the ended jobs are counted again. */
  static final int ENDED_COUNT_EVERY = 15;

  public FleetMonitor(Vertx vertx, io.hearth.scheduler.scheduling.ClusterPlacement placer, HazelcastInstance hz, JobStore store,
      Duration interval) {
    this.vertx = vertx;
    this.placer = placer;
    this.hz = hz;
    this.store = store;
    this.context = vertx.getOrCreateContext();
    this.timer = vertx.setPeriodic(interval.toMillis(), interval.toMillis(), id -> refresh());
  }

  /** The last aggregation ({@link FleetFigures#EMPTY} before the first). */
  public FleetFigures latest() {
    return latest;
  }

  /** Called with every new aggregation, on an event loop; must not block. */
  public void onUpdate(Consumer<FleetFigures> listener) {
    listeners.add(listener);
  }

  /**
   * Aggregates now (or joins the aggregation in flight) and tells the listeners. Safe from any
   * thread; the result completes on a Vert.x context.
   */
  public synchronized Future<FleetFigures> refresh() {
    if (inFlight != null) {
      return inFlight;
    }
    Promise<FleetFigures> done = Promise.promise();
    inFlight = done.future();
    Future.fromCompletionStage(placer.snapshot(), context)
        .compose(snapshot -> vertx.executeBlocking(() -> aggregate(snapshot), false))
        .onComplete(ar -> {
          synchronized (this) {
            inFlight = null;
          }
          if (ar.succeeded()) {
            latest = ar.result();
            for (Consumer<FleetFigures> l : listeners) {
              try {
                l.accept(ar.result());
              } catch (RuntimeException e) {
                LOG.warn("fleet listener failed", e);
              }
            }
            done.complete(ar.result());
          } else {
            LOG.warn("fleet aggregation failed: {}", ar.cause().toString());
            done.fail(ar.cause());
          }
        });
    return done.future();
  }

  /**
   * Counts the jobs in every state. A count costs the partition threads a pass over every matching
   * job (the state index hands out a copy of its entries), so counting a large queue or history on
   * every refresh would slow every job write as it grows. Two bounds: ended jobs (every job kept by
   * the retention) are counted only every {@value #ENDED_COUNT_EVERY}th time, and the counts are
   * taken again only once {@value #COUNT_BUDGET_FACTOR} times the last counting's duration has
   * passed, and at most 30 s (one slow count, in a pause, does not leave the counts stale for
   * long); meanwhile the figures carry the last counts with a fresh fleet snapshot. A count's query
   * runs on both partition threads here, so its CPU is about twice its duration: with 120,000 jobs
   * queued, counting took 20 % of the scheduler's CPU samples at every refresh, and 12 % at 20 times
   * its duration (benchmarks/README.md, round 6).
   */
  private FleetFigures aggregate(FleetSnapshot snapshot) {
    if (!counting.due()) {
      return FleetFigures.of(snapshot, lastCounts, hz.getCluster().getMembers().size());
    }
    boolean ended = aggregations % ENDED_COUNT_EVERY == 0;
    aggregations++;
    long[] byState = counting.timed(() -> count(ended));
    if (ended) {
      endedCounts = byState;
    }
    lastCounts = byState;
    return FleetFigures.of(snapshot, byState, hz.getCluster().getMembers().size());
  }

  /** The jobs in each state: the live states, and the ended ones when {@code ended} (else the last counts of those). */
  private long[] count(boolean ended) {
    long[] byState = endedCounts.clone();
    for (int s = 1; s <= FleetFigures.JOB_STATES; s++) {
      JobState state = JobState.forNumber(s);
      if (state != null && (ended || !JobLifecycle.isTerminal(state))) {
        byState[s] = store.countInState(state);
      }
    }
    return byState;
  }

  /** Counting waits this many times its last duration before it runs again. */
  static final int COUNT_BUDGET_FACTOR = 100;
  private final CostBudget counting = new CostBudget(COUNT_BUDGET_FACTOR, Duration.ofSeconds(30));
  /** The last counts by state (one aggregation runs at a time, on whichever worker thread; hence volatile). */
  private volatile long[] lastCounts = new long[FleetFigures.JOB_STATES + 1];

  @Override
  public void close() {
    vertx.cancelTimer(timer);
  }
}
