package io.hearth.scheduler.scheduling;

import io.grpc.Status;
import io.hearth.api.v1.Assignment;
import io.hearth.api.v1.Attempt;
import io.hearth.api.v1.Cancellation;
import io.hearth.api.v1.FilterRejection;
import io.hearth.api.v1.Hello;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.PendingReason;
import io.hearth.api.v1.SchedulerMessage;
import io.hearth.scheduler.audit.AuditLog;
import io.hearth.scheduler.cluster.JobStore;
import io.hearth.scheduler.config.SchedulerOptions;
import io.hearth.scheduler.job.JobLifecycle;
import io.hearth.scheduler.placement.JobRequest;
import io.hearth.scheduler.placement.NodeSpec;
import io.hearth.scheduler.placement.NodeStates;
import io.hearth.scheduler.placement.PlacementEngine;
import io.hearth.scheduler.placement.Refusal;
import io.hearth.scheduler.placement.Rejection;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The placing member's loop: it owns the {@link PlacementEngine}, the queue of pending jobs, the
 * reservations of running attempts and the liveness of nodes, and binds each decision to the
 * cluster state (compare-and-set QUEUED -> ASSIGNED with a fresh fencing token) before sending the
 * assignment down the node's stream.
 *
 * <p>Threading: everything here runs on one dedicated thread ({@code hearth-placer}); other
 * threads hand work over through {@link #execute(Runnable)} or the telemetry queue and never touch
 * this state directly. Its calls block on Hazelcast, which is why it is not an event loop.
 *
 * <p>Only the cluster's leader runs a placer (see {@code ClusterPlacement}). A new one rebuilds its
 * state from the shared job state: the queue from QUEUED jobs, reservations from the attempts of
 * ASSIGNED and RUNNING jobs (made once their node says hello again; a node that never does is lost
 * after the node timeout). An assignment no node acknowledged within the node timeout (sent by a
 * leader that died before the stream carried it) is taken back and the job requeued.
 */
public final class Placer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Placer.class);
  private static final int TIERS = 4;

  private final SchedulerOptions options;
  private final JobStore store;
  private final Clock clock;
  private final PlacementEngine engine;
  private final ScheduledExecutorService thread;
  private final AuditLog audit;

  // Owned by the placer thread.
  @SuppressWarnings("unchecked")
  private final ArrayDeque<Pending>[] queues = new ArrayDeque[TIERS];
  private final Map<String, Pending> pendingById = new HashMap<>();
  private final Map<Long, Active> activeByToken = new HashMap<>();
  private final Map<String, NodeEntry> nodes = new HashMap<>();
  /** Assignments not yet seen RUNNING (or ended) in the job state, by token: since when, ms. */
  private final Map<Long, Long> unconfirmed = new HashMap<>();

  // Shared with other threads.
  private final ConcurrentLinkedQueue<NodeSession> telemetryQueue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean cycleScheduled = new AtomicBoolean();
  private volatile FleetView view = FleetView.EMPTY;
  private volatile int pendingCount;

  /** Where an attempt runs; its reservation is keyed by the fencing token. */
  private record Active(String jobId, String nodeId, long token) {}

  /** A queued job with its placement request built once. */
  private static final class Pending {
    final String jobId;
    final JobRequest request;
    final Shape shape;
    final Instant deadline;
    String lastSummary = "";
    boolean removed;

    Pending(String jobId, JobRequest request, Shape shape, Instant deadline) {
      this.jobId = jobId;
      this.request = request;
      this.shape = shape;
      this.deadline = deadline;
    }
  }

  /** Jobs with equal shapes are placed alike: once one fails in a cycle the others are skipped. */
  private record Shape(int cores, long memoryMib, int minClass, int tier, boolean exclusive, int tenant, long regions) {}

  private static final class NodeEntry {
    final String nodeId;
    int slot = -1;
    NodeSession session;
    boolean lost;
    final Set<Long> tokens = new LinkedHashSet<>();
    /** Known from the job state only (no hello yet): since when, and reservations to make at hello. */
    long sinceMillis;
    final Map<Long, JobRequest> unreserved = new HashMap<>();

    NodeEntry(String nodeId) {
      this.nodeId = nodeId;
    }
  }

  public Placer(SchedulerOptions options, JobStore store, Clock clock, PlacementEngine engine, AuditLog audit) {
    this.options = options;
    this.audit = audit;
    this.store = store;
    this.clock = clock;
    this.engine = engine;
    for (int i = 0; i < TIERS; i++) {
      queues[i] = new ArrayDeque<>();
    }
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "hearth-placer");
      t.setDaemon(true);
      return t;
    });
  }

  /** Loads the queued jobs and active attempts of the cluster state and starts the periodic sweep. */
  public void start() {
    execute(() -> {
      adoptActive();
      adoptQueued(true);
    });
    long period = options.sweepInterval().toMillis();
    thread.scheduleWithFixedDelay(() -> guarded("sweep", this::sweep), period, period, TimeUnit.MILLISECONDS);
  }

  // ---------------------------------------------------------------- calls from other threads

  /** Re-reads the QUEUED jobs of the cluster state: a safety net for notices lost in a failover. */
  public void rescanQueued() {
    execute(() -> {
      adoptQueued(false);
      runCycle();
    });
  }

  public void execute(Runnable task) {
    thread.execute(() -> guarded("task", task));
  }

  /** A job was accepted: queue it and try to place it. */
  public void submitted(Job job) {
    execute(() -> {
      enqueue(job);
      runCycle();
    });
  }

  /** A node said hello on a new stream. */
  public void connected(NodeSession session) {
    execute(() -> onHello(session));
  }

  /** A node's stream ended; it gets no new work, its attempts wait for the node timeout. */
  public void disconnected(NodeSession session) {
    session.markClosed();
    execute(() -> {
      NodeEntry e = nodes.get(session.nodeId());
      if (e != null && e.session == session && e.slot >= 0 && !e.lost) {
        engine.setNodeState(e.slot, NodeStates.LOST);
        LOG.info("node {} disconnected; its {} attempts wait up to {} ms for it to return",
            session.nodeId(), e.tokens.size(), options.nodeTimeout().toMillis());
      }
    });
  }

  /** A telemetry report was recorded on the session. */
  public void telemetry(NodeSession session, boolean firstSinceDrain) {
    if (firstSinceDrain) {
      telemetryQueue.add(session);
      if (pendingCount > 0) {
        scheduleCycle();
      }
    }
  }

  /** A node's report ended an attempt: release its reservation and requeue the job if it must run again. */
  public void attemptEnded(long token, Job after) {
    execute(() -> {
      release(token);
      if (after.getState() == JobState.JOB_STATE_QUEUED) {
        enqueue(after);
      }
      runCycle();
    });
  }

  /** A job was cancelled: drop it from the queue and stop its attempt on the node. */
  public void cancelled(Job before, Job after) {
    execute(() -> {
      Pending p = pendingById.remove(after.getJobId());
      if (p != null) {
        p.removed = true;
        pendingCount = pendingById.size();
      }
      if (before.getAttemptsCount() > 0) {
        Attempt a = before.getAttempts(before.getAttemptsCount() - 1);
        Active active = activeByToken.get(a.getFencingToken());
        if (active != null) {
          NodeEntry e = nodes.get(active.nodeId());
          if (e != null && e.session != null) {
            e.session.send(SchedulerMessage.newBuilder().setCancellation(Cancellation.newBuilder()
                .setJobId(after.getJobId()).setFencingToken(a.getFencingToken())
                .setReason(after.getStateReason())).build());
          }
        }
      }
    });
  }

  /** What the fleet looks like, refreshed by every sweep (for the status page). */
  public FleetView view() {
    return view;
  }

  /** Why a job waits, as last explained; null when it is not pending here. */
  public String pendingSummary(String jobId) {
    Pending p = pendingById.get(jobId);
    return p == null ? null : p.lastSummary;
  }

  // ---------------------------------------------------------------- placer thread

  private void adoptQueued(boolean takingOver) {
    int n = 0;
    for (Job j : store.inStates(List.of(JobState.JOB_STATE_QUEUED))) {
      if (!pendingById.containsKey(j.getJobId())) {
        enqueue(j);
        n++;
      }
    }
    if (n > 0 && takingOver) {
      LOG.info("placer took over {} queued jobs", n);
    } else if (n > 0) {
      LOG.debug("queue rescan found {} jobs not yet queued here", n);
    }
  }

  /** Attempts of ASSIGNED and RUNNING jobs become active again; reserved when their node says hello. */
  private void adoptActive() {
    long now = clock.millis();
    int n = 0;
    for (Job j : store.inStates(List.of(JobState.JOB_STATE_ASSIGNED, JobState.JOB_STATE_RUNNING))) {
      if (j.getAttemptsCount() == 0) {
        continue;
      }
      Attempt a = j.getAttempts(j.getAttemptsCount() - 1);
      long token = a.getFencingToken();
      if (activeByToken.containsKey(token) || JobLifecycle.isEnded(a.getState())) {
        continue;
      }
      NodeEntry e = nodes.computeIfAbsent(a.getNodeId(), NodeEntry::new);
      if (e.session == null && e.tokens.isEmpty()) {
        e.sinceMillis = now;
      }
      activeByToken.put(token, new Active(j.getJobId(), a.getNodeId(), token));
      e.tokens.add(token);
      JobRequest r = request(j);
      if (e.slot >= 0) {
        engine.reserve(e.slot, token, r);
      } else {
        e.unreserved.put(token, r);
      }
      if (a.getState() == io.hearth.api.v1.AttemptState.ATTEMPT_STATE_ASSIGNED) {
        unconfirmed.put(token, now);
      }
      n++;
    }
    if (n > 0) {
      LOG.info("placer took over {} active attempts on {} nodes", n, nodes.size());
    }
  }

  private JobRequest request(Job job) {
    JobSpec spec = job.getSpec();
    JobRequest r = new JobRequest();
    r.cores = spec.getCores();
    r.memoryMib = spec.getMemoryMib();
    r.minSecurityClass = spec.getMinSecurityClassValue();
    r.tier = spec.getTierValue();
    r.exclusive = spec.getExclusive();
    r.tenant = engine.tenantId(job.getOwner());
    r.regionMask = engine.regionMask(spec.getAllowedRegionsList());
    return r;
  }

  private void enqueue(Job job) {
    if (pendingById.containsKey(job.getJobId()) || job.getState() != JobState.JOB_STATE_QUEUED) {
      return;
    }
    JobRequest r = request(job);
    Shape shape = new Shape(r.cores, r.memoryMib, r.minSecurityClass, r.tier, r.exclusive,
        r.exclusive ? r.tenant : -1, r.regionMask);
    Pending p = new Pending(job.getJobId(), r, shape, JobLifecycle.queueDeadline(job));
    if (job.hasPending()) {
      p.lastSummary = job.getPending().getSummary();
    }
    pendingById.put(job.getJobId(), p);
    queues[Math.max(0, Math.min(TIERS - 1, r.tier - 1))].add(p);
    pendingCount = pendingById.size();
  }

  private void scheduleCycle() {
    if (cycleScheduled.compareAndSet(false, true)) {
      execute(this::runCycle);
    }
  }

  /** One pass over the queue, highest tier first, oldest first within a tier. */
  private void runCycle() {
    cycleScheduled.set(false);
    drainTelemetry();
    if (pendingById.isEmpty()) {
      return;
    }
    Set<Shape> failed = new HashSet<>();
    for (ArrayDeque<Pending> queue : queues) {
      int n = queue.size();
      for (int i = 0; i < n; i++) {
        Pending p = queue.poll();
        if (p.removed) {
          continue;
        }
        if (failed.contains(p.shape)) {
          queue.add(p);
          continue;
        }
        int slot = engine.place(p.request);
        if (slot < 0 || !bind(p, slot)) {
          if (!p.removed) {
            failed.add(p.shape);
            queue.add(p);
          }
        }
      }
    }
    pendingCount = pendingById.size();
  }

  /** Reserve, commit QUEUED -> ASSIGNED in the cluster state, then send the assignment. */
  private boolean bind(Pending p, int slot) {
    String nodeId = engine.nodeId(slot);
    NodeEntry node = nodes.get(nodeId);
    if (node == null || node.session == null || !node.session.isOpen()) {
      engine.setNodeState(slot, NodeStates.LOST);
      return false;
    }
    long token = store.newFencingToken();
    if (!engine.reserve(slot, token, p.request)) {
      return false;
    }
    Instant now = clock.instant();
    Job after = store.update(p.jobId, j -> JobLifecycle.assign(j, nodeId, token, now));
    if (after == null) {
      // Cancelled, expired or gone meanwhile: nothing to run.
      engine.unreserve(token);
      p.removed = true;
      pendingById.remove(p.jobId);
      return true;
    }
    p.removed = true;
    pendingById.remove(p.jobId);
    activeByToken.put(token, new Active(p.jobId, nodeId, token));
    node.tokens.add(token);
    unconfirmed.put(token, clock.millis());
    Attempt attempt = after.getAttempts(after.getAttemptsCount() - 1);
    audit.record("scheduler", "place", after.getJobId(), "node=" + nodeId + " attempt=" + attempt.getNumber()
        + " token=" + token);
    JobSpec spec = after.getSpec();
    node.session.send(SchedulerMessage.newBuilder().setAssignment(Assignment.newBuilder()
        .setJobId(after.getJobId())
        .setAttempt(attempt.getNumber())
        .setFencingToken(token)
        .setOwner(after.getOwner())
        .setCores(spec.getCores())
        .setMemoryMib(spec.getMemoryMib())
        .setWorkload(spec.getWorkload())
        .setMaxRuntime(spec.getMaxRuntime())).build());
    return true;
  }

  private void release(long token) {
    Active a = activeByToken.remove(token);
    unconfirmed.remove(token);
    if (a == null) {
      return;
    }
    engine.unreserve(token);
    NodeEntry e = nodes.get(a.nodeId());
    if (e != null) {
      e.tokens.remove(token);
      e.unreserved.remove(token);
    }
  }

  private void drainTelemetry() {
    NodeSession s;
    while ((s = telemetryQueue.poll()) != null) {
      if (!s.clearDirty()) {
        continue;
      }
      NodeEntry e = nodes.get(s.nodeId());
      if (e != null && e.session == s && e.slot >= 0) {
        engine.updateTelemetry(e.slot, s.heatDemandWatts(), s.computeDrawWatts());
      }
    }
  }

  private void onHello(NodeSession session) {
    Hello h = session.hello();
    NodeEntry e = nodes.computeIfAbsent(h.getNodeId(), NodeEntry::new);
    NodeSession old = e.session;
    if (old != null && old != session && old.isOpen()) {
      old.close(Status.ABORTED.withDescription("superseded by a new connection of the same node"));
    }
    e.session = session;
    e.slot = engine.upsertNode(new NodeSpec(h.getNodeId(), h.getKindValue(), session.securityClass(), h.getCores(),
        h.getMemoryMib(), h.getWattsPerCore(), h.getRegion(), h.getSite()));
    engine.updateTelemetry(e.slot, session.heatDemandWatts(), session.computeDrawWatts());
    engine.setNodeState(e.slot, NodeStates.READY);
    for (Map.Entry<Long, JobRequest> u : e.unreserved.entrySet()) {
      engine.reserve(e.slot, u.getKey(), u.getValue());
    }
    e.unreserved.clear();
    if (e.lost) {
      LOG.info("node {} is back", h.getNodeId());
    } else if (old == null) {
      LOG.info("node {} joined: {} {} cores, class {}, site {}", h.getNodeId(), h.getKind(), h.getCores(),
          session.securityClass(), h.getSite());
    }
    e.lost = false;
    runCycle();
  }

  private void sweep() {
    drainTelemetry();
    long nowMillis = clock.millis();
    long timeout = options.nodeTimeout().toMillis();
    for (NodeEntry e : new ArrayList<>(nodes.values())) {
      long lastSeen = e.session != null ? e.session.lastSeenMillis() : e.sinceMillis;
      if (!e.lost && (e.session != null || !e.tokens.isEmpty()) && nowMillis - lastSeen > timeout) {
        declareLost(e, nowMillis - lastSeen);
      }
    }
    takeBackUnacknowledged(nowMillis, timeout);
    Instant now = clock.instant();
    Map<Shape, PendingReason> explained = new HashMap<>();
    for (Pending p : new ArrayList<>(pendingById.values())) {
      if (now.isAfter(p.deadline)) {
        Job after = store.update(p.jobId, j -> JobLifecycle.expire(j, now));
        p.removed = true;
        pendingById.remove(p.jobId);
        if (after != null) {
          LOG.info("job {} expired in the queue: {}", p.jobId, p.lastSummary);
        }
        continue;
      }
      PendingReason reason = explained.computeIfAbsent(p.shape, s -> explain(p.request, now));
      if (!reason.getSummary().equals(p.lastSummary)) {
        p.lastSummary = reason.getSummary();
        store.update(p.jobId, j -> JobLifecycle.pending(j, reason));
      }
    }
    pendingCount = pendingById.size();
    runCycle();
    refreshView();
  }

  /**
   * Assignments still ASSIGNED in the job state a node timeout after they were made (or adopted):
   * the node never got them (its stream or the leader that sent them died first). The attempt is
   * lost and the job requeued; the node is told to cancel in case the assignment is still on its way.
   */
  private void takeBackUnacknowledged(long nowMillis, long timeout) {
    List<Long> overdue = new ArrayList<>();
    for (Map.Entry<Long, Long> u : unconfirmed.entrySet()) {
      if (nowMillis - u.getValue() > timeout) {
        overdue.add(u.getKey());
      }
    }
    for (Long token : overdue) {
      Active a = activeByToken.get(token);
      if (a == null) {
        unconfirmed.remove(token);
        continue;
      }
      Job job = store.get(a.jobId());
      Attempt current = job == null || job.getAttemptsCount() == 0 ? null : job.getAttempts(job.getAttemptsCount() - 1);
      if (current == null || current.getFencingToken() != token
          || current.getState() != io.hearth.api.v1.AttemptState.ATTEMPT_STATE_ASSIGNED) {
        unconfirmed.remove(token);
        continue;
      }
      String why = "assignment not acknowledged by node " + a.nodeId() + " within " + timeout + " ms";
      Instant now = clock.instant();
      Job after = store.update(a.jobId(), j -> JobLifecycle.lose(j, token, why, now));
      NodeEntry e = nodes.get(a.nodeId());
      if (e != null && e.session != null) {
        e.session.send(SchedulerMessage.newBuilder().setCancellation(Cancellation.newBuilder()
            .setJobId(a.jobId()).setFencingToken(token).setReason(why)).build());
      }
      release(token);
      if (after != null) {
        audit.record("scheduler", "requeue", a.jobId(), why + "; now " + after.getState().name());
        LOG.warn("job {}: {}; now {}", a.jobId(), why, after.getState());
        if (after.getState() == JobState.JOB_STATE_QUEUED) {
          enqueue(after);
        }
      }
    }
  }

  private PendingReason explain(JobRequest request, Instant now) {
    Refusal refusal = engine.explain(request);
    PendingReason.Builder b = PendingReason.newBuilder().setSummary(refusal.summary())
        .setEvaluatedAt(JobLifecycle.timestamp(now));
    for (Rejection r : refusal.rejections()) {
      b.addRejections(FilterRejection.newBuilder().setFilter(r.filter()).setNodes(r.nodes()));
    }
    return b.build();
  }

  private void declareLost(NodeEntry e, long silentMillis) {
    e.lost = true;
    if (e.slot >= 0) {
      engine.setNodeState(e.slot, NodeStates.LOST);
    }
    if (e.session != null) {
      e.session.close(Status.UNAVAILABLE.withDescription("node silent for " + silentMillis + " ms"));
    }
    Instant now = clock.instant();
    String why = "node " + e.nodeId + " silent for " + silentMillis + " ms";
    int requeued = 0;
    for (Long token : new ArrayList<>(e.tokens)) {
      Active a = activeByToken.get(token);
      release(token);
      if (a == null) {
        continue;
      }
      Job after = store.update(a.jobId(), j -> JobLifecycle.lose(j, token, why, now));
      if (after != null) {
        audit.record("scheduler", "requeue", a.jobId(), why + "; now " + after.getState().name());
      }
      if (after != null && after.getState() == JobState.JOB_STATE_QUEUED) {
        enqueue(after);
        requeued++;
      }
    }
    LOG.warn("node {} lost after {} ms of silence; {} attempts requeued", e.nodeId, silentMillis, requeued);
  }

  private void refreshView() {
    EnumMap<io.hearth.api.v1.NodeKind, int[]> byKind = new EnumMap<>(io.hearth.api.v1.NodeKind.class);
    int ready = 0;
    int lost = 0;
    double demand = 0;
    double draw = 0;
    for (NodeEntry e : nodes.values()) {
      if (e.session == null) {
        continue;
      }
      io.hearth.api.v1.NodeKind kind = e.session.hello().getKind();
      byKind.computeIfAbsent(kind, k -> new int[1])[0]++;
      if (e.lost || !e.session.isOpen()) {
        lost++;
      } else {
        ready++;
        demand += e.session.heatDemandWatts();
        draw += e.session.computeDrawWatts();
      }
    }
    int[] pendingByTier = new int[TIERS];
    for (int i = 0; i < TIERS; i++) {
      int n = 0;
      for (Pending p : queues[i]) {
        if (!p.removed) {
          n++;
        }
      }
      pendingByTier[i] = n;
    }
    Map<String, Integer> kinds = new HashMap<>();
    byKind.forEach((k, v) -> kinds.put(k.name(), v[0]));
    view = new FleetView(ready, lost, kinds, pendingByTier, activeByToken.size(), demand, draw, clock.instant());
  }

  private void guarded(String what, Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      LOG.error("placer {} failed", what, e);
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A point-in-time summary of the fleet and the queue. */
  public record FleetView(int readyNodes, int lostNodes, Map<String, Integer> nodesByKind, int[] pendingByTier,
      int runningAttempts, double heatDemandWatts, double computeDrawWatts, Instant at) {
    static final FleetView EMPTY = new FleetView(0, 0, Map.of(), new int[TIERS], 0, 0, 0, Instant.EPOCH);
  }
}
