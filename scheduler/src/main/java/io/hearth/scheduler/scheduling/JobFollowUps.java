package io.hearth.scheduler.scheduling;

import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobState;
import io.hearth.scheduler.cluster.JobStore;
import io.hearth.scheduler.job.ArrayJobs;
import io.hearth.scheduler.job.Dependencies;
import io.hearth.scheduler.job.JobLifecycle;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What follows a job's change, on whichever member made it: an instance that changed state
 * refreshes its array job's aggregate (batched: at most every {@value #ARRAY_BATCH_MS} ms per
 * member); a job that ended releases its BLOCKED dependents to the queue, or fails them when it
 * ended otherwise than they require (which in turn ends their own dependents); a job created
 * BLOCKED is checked at once, in case its parents ended meanwhile. All state lives in the job
 * store, so a member that dies half-way loses nothing: the leader reconciles every
 * {@value #RECONCILE_MS} ms (blocked jobs whose parents ended, array aggregates, instances left
 * BLOCKED by a release cut short). A reconciliation reads the live jobs through the state index,
 * a pass over the whole queue during a backlog, so it also waits {@value #RECONCILE_BUDGET_FACTOR}
 * times its last duration (at most a minute) before it runs again.
 *
 * <p>Threading: {@link #changed} is called on the thread that changed the job and only queues
 * work; everything else runs on this member's own follow-up thread, which may block on Hazelcast.
 */
public final class JobFollowUps implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(JobFollowUps.class);
  static final long ARRAY_BATCH_MS = 100;
  static final int RECONCILE_BUDGET_FACTOR = 50;
  private final CostBudget reconciling = new CostBudget(RECONCILE_BUDGET_FACTOR, java.time.Duration.ofMinutes(1));
  /** Jobs that end within this long share one look-up of their owners' BLOCKED jobs. */
  static final long RELEASE_BATCH_MS = 20;
  static final long RECONCILE_MS = 10_000;

  private final JobStore store;
  private final ClusterPlacement placer;
  private final Clock clock;
  private final ScheduledExecutorService thread;
  private final Set<String> dirtyArrays = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean flushScheduled = new AtomicBoolean();
  private final java.util.Queue<Job> endedParents = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final AtomicBoolean releaseScheduled = new AtomicBoolean();

  public JobFollowUps(JobStore store, ClusterPlacement placer, Clock clock) {
    this.store = store;
    this.placer = placer;
    this.clock = clock;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "hearth-job-follow-ups");
      t.setDaemon(true);
      return t;
    });
    thread.scheduleWithFixedDelay(() -> guarded("reconcile", () -> {
      if (placer.isLeader()) {
        reconciling.runIfDue(this::reconcile);
      }
    }), RECONCILE_MS, RECONCILE_MS, TimeUnit.MILLISECONDS);
    store.onTransition(this::changed);
  }

  /** A job changed from {@code before} (null: created) to {@code after}. Never blocks. */
  void changed(Job before, Job after) {
    JobState was = before == null ? null : before.getState();
    if (!after.getArrayJobId().isEmpty() && was != null && was != after.getState()) {
      arrayChanged(after.getArrayJobId());
    }
    boolean ended = JobLifecycle.isTerminal(after.getState()) && (was == null || !JobLifecycle.isTerminal(was));
    if (ended) {
      endedParents.add(after);
      if (releaseScheduled.compareAndSet(false, true)) {
        thread.schedule(() -> guarded("release dependents", this::releaseDependents), RELEASE_BATCH_MS, TimeUnit.MILLISECONDS);
      }
    } else if (was == null && after.getState() == JobState.JOB_STATE_BLOCKED && after.getArrayJobId().isEmpty()) {
      thread.execute(() -> guarded("check " + after.getJobId(), () -> evaluate(after.getJobId())));
    }
  }

  /** Refreshes an array job's aggregate soon (batched with other changes of its instances). */
  public void arrayChanged(String arrayJobId) {
    dirtyArrays.add(arrayJobId);
    if (flushScheduled.compareAndSet(false, true)) {
      thread.schedule(() -> guarded("array aggregates", this::flushArrays), ARRAY_BATCH_MS, TimeUnit.MILLISECONDS);
    }
  }

  private void flushArrays() {
    flushScheduled.set(false);
    List<String> ids = new ArrayList<>(dirtyArrays);
    dirtyArrays.removeAll(ids);
    for (String id : ids) {
      aggregate(id);
    }
  }

  /** Recomputes the aggregate from the instances read inside the compare-and-set, so no older read wins. */
  private void aggregate(String arrayJobId) {
    Instant now = clock.instant();
    store.update(arrayJobId, a -> {
      if (!a.hasArray()) {
        return null;
      }
      Set<String> ids = new HashSet<>();
      for (int i = 0; i < a.getSpec().getInstances(); i++) {
        ids.add(ArrayJobs.instanceId(arrayJobId, i));
      }
      return ArrayJobs.aggregate(a, store.getAll(ids).values(), now);
    });
  }

  /**
   * Evaluates the BLOCKED dependents of the jobs that ended since the last call (at most
   * {@value #RELEASE_BATCH_MS} ms ago): one look-up of the BLOCKED jobs of every owner concerned,
   * for all of their ended jobs (a busy tenant ends hundreds a second, and a query per job was a
   * tenth of the scheduler's CPU; a query per owner and batch was still 2 %).
   */
  private void releaseDependents() {
    releaseScheduled.set(false);
    Map<String, Set<String>> endedByOwner = new java.util.HashMap<>();
    for (Job parent; (parent = endedParents.poll()) != null; ) {
      endedByOwner.computeIfAbsent(parent.getOwner(), o -> new HashSet<>()).add(parent.getJobId());
    }
    if (endedByOwner.isEmpty()) {
      return;
    }
    for (Job j : store.blockedOf(endedByOwner.keySet())) {
      if (j.getArrayJobId().isEmpty() && Dependencies.dependsOnAny(j, endedByOwner.get(j.getOwner()))) {
        evaluate(j.getJobId());
      }
    }
  }

  /** Releases or fails a BLOCKED job whose parents allow it; nothing while they still run. */
  private void evaluate(String jobId) {
    Job child = store.get(jobId);
    if (child == null || child.getState() != JobState.JOB_STATE_BLOCKED || !child.getArrayJobId().isEmpty()) {
      return;
    }
    Dependencies.Verdict v = Dependencies.evaluate(child, store::get);
    switch (v.outcome()) {
      case RELEASE -> release(child);
      case FAIL -> fail(child, v.reason());
      default -> { }
    }
  }

  private void release(Job child) {
    Instant now = clock.instant();
    Job after = store.update(child.getJobId(), j -> JobLifecycle.release(j, now));
    if (after == null) {
      return;
    }
    LOG.info("job {} released: its {} parent jobs ended as required", child.getJobId(), child.getSpec().getDependsOnCount());
    if (ArrayJobs.isArray(after.getSpec())) {
      releaseInstances(after, now);
    } else {
      placer.submitted(after);
    }
  }

  private void releaseInstances(Job array, Instant now) {
    List<Job> released = new ArrayList<>();
    for (int i = 0; i < array.getSpec().getInstances(); i++) {
      Job inst = store.update(ArrayJobs.instanceId(array.getJobId(), i), j -> JobLifecycle.release(j, now));
      if (inst != null) {
        released.add(inst);
      }
    }
    if (!released.isEmpty()) {
      placer.submitted(released);
    }
  }

  private void fail(Job child, String reason) {
    Instant now = clock.instant();
    Job after = store.update(child.getJobId(), j -> JobLifecycle.failBlocked(j, reason, now));
    if (after == null) {
      return;
    }
    LOG.info("job {} failed before it ran: {}", child.getJobId(), reason);
    if (ArrayJobs.isArray(after.getSpec())) {
      for (int i = 0; i < after.getSpec().getInstances(); i++) {
        store.update(ArrayJobs.instanceId(after.getJobId(), i), j -> JobLifecycle.failBlocked(j, reason, now));
      }
    }
  }

  /**
   * The leader's safety net for follow-ups a lost member never made: the aggregates of the array
   * jobs that have not ended, and the BLOCKED jobs (only these are read: decoding every queued job
   * of a large backlog every {@value #RECONCILE_MS} ms was 5 % of the scheduler's CPU).
   */
  void reconcile() {
    Instant now = clock.instant();
    List<JobState> live = List.of(JobState.JOB_STATE_BLOCKED, JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_RUNNING);
    for (Job a : store.arraysInStates(live)) {
      aggregate(a.getJobId());
    }
    Map<String, Job> arrays = new java.util.HashMap<>();
    for (Job j : store.inStates(List.of(JobState.JOB_STATE_BLOCKED))) {
      if (j.hasArray()) {
        continue; // an array job's own record: refreshed above
      }
      if (j.getArrayJobId().isEmpty()) {
        evaluate(j.getJobId());
        continue;
      }
      // An instance left BLOCKED: it follows its array job once that was released or ended.
      Job array = arrays.computeIfAbsent(j.getArrayJobId(), store::get);
      if (array == null || array.getState() == JobState.JOB_STATE_BLOCKED) {
        continue;
      }
      if (JobLifecycle.isTerminal(array.getState())) {
        store.update(j.getJobId(), x -> JobLifecycle.failBlocked(x, array.getStateReason(), now));
      } else {
        Job inst = store.update(j.getJobId(), x -> JobLifecycle.release(x, now));
        if (inst != null) {
          placer.submitted(inst);
        }
      }
    }
  }

  private void guarded(String what, Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      LOG.warn("job follow-up '{}' failed (the leader's reconciliation retries it): {}", what, e.toString());
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
