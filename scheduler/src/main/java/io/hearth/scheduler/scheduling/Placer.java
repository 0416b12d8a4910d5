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
import io.hearth.scheduler.placement.Tiers;
import io.hearth.scheduler.placement.filter.PlacementFilter;
import io.hearth.api.v1.Preemption;
import io.hearth.scheduler.placement.Rejection;
import io.hearth.scheduler.placement.Tiers;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
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
  /** Decisions whose QUEUED -> ASSIGNED writes are made together, at most. */
  static final int BIND_BATCH = 256;
  /** Threads that make those writes (each waits for its durable write; a database's are group-committed). */
  private static final int WRITERS = 32;

  private final SchedulerOptions options;
  private final JobStore store;
  private final Clock clock;
  private final PlacementEngine engine;
  private final PlacementListener listener;
  private final ScheduledExecutorService thread;
  /** Makes the placer's job-state writes off its thread, so that many share one durable commit. */
  private final java.util.concurrent.ExecutorService writers;
  private final AuditLog audit;
  private final String energyAssumptions;
  private final io.hearth.scheduler.placement.Quotas quotas;

  // Owned by the placer thread.
  @SuppressWarnings("unchecked")
  private final TierQueue[] queues = new TierQueue[TIERS];
  /** Jobs queued during a cycle (a failed assignment write, a preempted attempt): added when it ends. */
  private final List<Pending> requeueAfterCycle = new ArrayList<>();
  private boolean cycling;
  /** Queued jobs by id, oldest first. */
  private final Map<String, Pending> pendingById = new LinkedHashMap<>();
  /** QUEUED jobs the last queue rescan found that this placer did not know (placer thread). */
  private Set<String> unknownAtLastRescan = Set.of();
  /** At most this many queued jobs get their pending reason rewritten per sweep. */
  static final int PENDING_NOTES_PER_SWEEP = 256;
  private final Map<Long, Active> activeByToken = new HashMap<>();
  /** Active attempts per tier (index = tier): a job no running attempt ranks below has nothing to preempt. */
  private final int[] activeByTier = new int[Tiers.DONATED + 1];
  private final Map<String, NodeEntry> nodes = new HashMap<>();
  /** Why a grant cannot be spent, per grant id, for one cycle (null: it can). */
  private final Map<String, String> grantHolds = new HashMap<>();
  private io.hearth.scheduler.donation.DonationLedger ledger;
  /** Running cores per owner, indexed by tier number. */
  private final Map<String, int[]> runningByOwner = new HashMap<>();
  /** Assignments not yet seen RUNNING (or ended) in the job state, by token: since when, ms. */
  private final Map<Long, Long> unconfirmed = new HashMap<>();

  // Shared with other threads.
  private final ConcurrentLinkedQueue<NodeSession> telemetryQueue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean cycleScheduled = new AtomicBoolean();
  private volatile FleetView view = FleetView.EMPTY;
  private volatile int pendingCount;
  private long assignments;
  /** Core-milliseconds of ended DONATED attempts; written by the placer thread only. */
  private volatile long donatedCoreMillisEnded;

  /** Where an attempt runs and what it holds there; its reservation is keyed by the fencing token. */
  private record Active(String jobId, String owner, String grantId, String nodeId, long token, JobRequest request,
      long sequence, long assignedAtMillis, double[] heat) {
    /** Time-weighted share of the node's draw that its room or tank wanted while the attempt ran. */
    double usefulFraction() {
      return heat[1] > 0 ? heat[0] / heat[1] : heat[2];
    }

    int tier() {
      return request.tier;
    }

    int cores() {
      return request.cores;
    }
  }

  /** Useful-heat fractions of attempts the scheduler ended itself, until their energy is reported. */
  private final Map<Long, Double> endedFractions = new java.util.LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, Double> eldest) {
      return size() > 100_000;
    }
  };

  /** A queued job with its placement request built once. */
  private static final class Pending {
    final String jobId;
    final String owner;
    final String grantId;
    String quotaReason;
    final JobRequest request;
    final Shape shape;
    final Instant deadline;
    String lastSummary = "";
    boolean removed;

    Pending(String jobId, String owner, String grantId, JobRequest request, Shape shape, Instant deadline) {
      this.jobId = jobId;
      this.owner = owner;
      this.grantId = grantId;
      this.request = request;
      this.shape = shape;
      this.deadline = deadline;
    }
  }

  /**
   * One tier's queue, oldest first, with how many queued jobs have each shape: a cycle that has
   * seen every shape of the queue fail stops there instead of walking the rest (a backlog of tens
   * of thousands of jobs of one shape made every cycle as long as the backlog).
   */
  private static final class TierQueue implements Iterable<Pending> {
    private final ArrayDeque<Pending> jobs = new ArrayDeque<>();
    private final Map<Shape, Integer> shapes = new HashMap<>();

    void add(Pending p) {
      jobs.add(p);
      shapes.merge(p.shape, 1, Integer::sum);
    }

    /** Call after removing {@code p} through an iterator of this queue. */
    void left(Pending p) {
      shapes.computeIfPresent(p.shape, (k, n) -> n == 1 ? null : n - 1);
    }

    int distinctShapes() {
      return shapes.size();
    }

    @Override
    public java.util.Iterator<Pending> iterator() {
      return jobs.iterator();
    }
  }

  /** Jobs with equal shapes are placed alike: once one fails in a cycle the others are skipped. */
  private record Shape(int cores, long memoryMib, int minClass, int tier, boolean exclusive, int tenant, long regions) {}

  private static final class NodeEntry {
    final String nodeId;
    int slot = -1;
    NodeSession session;
    boolean lost;
    long lastSampleMillis;
    long throttledSinceMillis;
    /** An operator drain; it outlives reconnects. */
    boolean drained;
    final Set<Long> tokens = new LinkedHashSet<>();
    /** Known from the job state only (no hello yet): since when, and reservations to make at hello. */
    long sinceMillis;
    final Map<Long, JobRequest> unreserved = new HashMap<>();

    NodeEntry(String nodeId) {
      this.nodeId = nodeId;
    }
  }

  public Placer(SchedulerOptions options, JobStore store, Clock clock, PlacementEngine engine, AuditLog audit) {
    this(options, store, clock, engine, audit, PlacementListener.NONE);
  }

  public Placer(SchedulerOptions options, JobStore store, Clock clock, PlacementEngine engine, AuditLog audit,
      PlacementListener listener) {
    this.options = options;
    this.audit = audit;
    this.quotas = io.hearth.scheduler.placement.Quotas.parse(options.runningCoreQuotas());
    this.energyAssumptions = JobLifecycle.energyAssumptions(options.displacedHeatingGramsPerKwh());
    this.store = store;
    this.clock = clock;
    this.engine = engine;
    this.listener = listener;
    for (int i = 0; i < TIERS; i++) {
      queues[i] = new TierQueue();
    }
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "hearth-placer");
      t.setDaemon(true);
      return t;
    });
    java.util.concurrent.atomic.AtomicInteger writerIds = new java.util.concurrent.atomic.AtomicInteger();
    this.writers = Executors.newFixedThreadPool(WRITERS, r -> {
      Thread t = new Thread(r, "hearth-placer-write-" + writerIds.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** Loads the queued jobs and active attempts of the cluster state and starts the periodic sweep. */
  public void start() {
    execute(() -> {
      adoptActive();
      adoptQueued();
    });
    long period = options.sweepInterval().toMillis();
    thread.scheduleWithFixedDelay(() -> guarded("sweep", this::sweep), period, period, TimeUnit.MILLISECONDS);
  }

  // ---------------------------------------------------------------- calls from other threads

  /**
   * Looks for QUEUED jobs this placer does not know (a notice lost in a failover). It reads the ids
   * of the queued jobs only, off this thread (during a backlog there are tens of thousands), and
   * picks here the ones not queued here. An id unknown at one rescan may just be on its way (during
   * a backlog, thousands of notices wait for this thread), so only the ids that were unknown at the
   * previous rescan too are read and decoded. A job found here that is placed meanwhile is not
   * placed twice: its QUEUED -> ASSIGNED write finds it assigned. Reading the ids costs the
   * partition threads a pass over the queue (about half a second of CPU for 100,000 queued jobs
   * here), so a rescan is skipped until {@value #RESCAN_BUDGET_FACTOR} times the last read's
   * duration has passed (at most 2 minutes): during a large backlog the safety net runs less often
   * rather than slowing the placement it guards.
   */
  public void rescanQueued() {
    if (!rescans.due()) {
      return;
    }
    writers.execute(() -> guarded("queue rescan", () -> {
      Set<String> queued = rescans.timed(() -> store.idsInState(JobState.JOB_STATE_QUEUED));
      execute(() -> {
        queued.removeAll(pendingById.keySet());
        Set<String> twice = new HashSet<>(queued);
        twice.retainAll(unknownAtLastRescan);
        unknownAtLastRescan = queued;
        if (twice.isEmpty()) {
          return;
        }
        writers.execute(() -> guarded("queue rescan", () -> {
          Collection<Job> missed = store.getAll(twice).values();
          execute(() -> {
            int n = 0;
            for (Job j : missed) {
              // Not an array job (never placed itself), nor one placed or ended meanwhile.
              n += enqueue(j) ? 1 : 0;
            }
            if (n > 0) {
              LOG.info("queue rescan found {} queued jobs this placer had not been told of", n);
              runCycle();
            }
          });
        }));
      });
    }));
  }

  /** A queue rescan waits this many times the duration of the last one's read before it runs again. */
  static final int RESCAN_BUDGET_FACTOR = 100;
  private final CostBudget rescans = new CostBudget(RESCAN_BUDGET_FACTOR, Duration.ofMinutes(2));

  public void execute(Runnable task) {
    thread.execute(() -> guarded("task", task));
  }

  /** A job was accepted: queue it and place it in the next cycle (one cycle for all that arrive meanwhile). */
  public void submitted(Job job) {
    execute(() -> {
      enqueue(job);
      scheduleCycle();
    });
  }

  /** Jobs were accepted or released together (an array's instances): queue them all, then place. */
  public void submitted(List<Job> jobs) {
    execute(() -> {
      for (Job job : jobs) {
        enqueue(job);
      }
      scheduleCycle();
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
      if (!JobLifecycle.energyAccounted(after)) {
        // The member holding the node's stream accounts the energy with the end when it can.
        accountEnergy(after.getJobId(), token);
      }
      if (after.getState() == JobState.JOB_STATE_QUEUED) {
        enqueue(after);
      }
      runCycle();
    });
  }

  /** A node reported the energy of an attempt the scheduler had already ended (preempted). */
  public void energyReported(long token, Job after) {
    execute(() -> accountEnergy(after.getJobId(), token));
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

  /** Lets DONATED jobs spend their grants (set once at start, before jobs arrive). */
  public void useLedger(io.hearth.scheduler.donation.DonationLedger ledger) {
    execute(() -> this.ledger = ledger);
  }

  /**
   * Idle heat capacity for donation offers, computed on the placer thread: over READY heater nodes,
   * the free cores whose heat the room or tank wants now and is forecast to want, minus the cores of
   * queued paid jobs (paid work comes first).
   */
  public java.util.concurrent.CompletableFuture<io.hearth.scheduler.donation.DonationLedger.Capacity> donationCapacity() {
    java.util.concurrent.CompletableFuture<io.hearth.scheduler.donation.DonationLedger.Capacity> result =
        new java.util.concurrent.CompletableFuture<>();
    execute(() -> {
      drainTelemetry();
      var fleet = engine.fleet();
      int heaters = 0;
      double idle = 0;
      var sources = options.donationSources();
      for (NodeEntry e : nodes.values()) {
        if (e.slot < 0 || e.lost || e.session == null || !fleet.isHeater(e.slot)
            || !sources.offers(fleet.kind(e.slot)) || fleet.state(e.slot) != NodeStates.READY) {
          continue;
        }
        heaters++;
        double wpc = fleet.wattsPerCore(e.slot);
        double reservedWatts = fleet.reservedCores(e.slot) * wpc;
        double watts = Math.min(fleet.headroomWatts(e.slot), e.session.forecastHeatDemandWatts() - reservedWatts);
        idle += Math.max(0, Math.min(fleet.freeCores(e.slot), Math.floor(Math.max(0, watts) / wpc)));
      }
      int queuedPaid = 0;
      for (Pending p : pendingById.values()) {
        if (p.request.tier < Tiers.DONATED) {
          queuedPaid += p.request.cores;
        }
      }
      double cores = Math.max(0, idle - queuedPaid);
      result.complete(new io.hearth.scheduler.donation.DonationLedger.Capacity(cores, String.format(java.util.Locale.ROOT,
          "%d ready heater nodes (%s): %.0f idle cores whose heat is wanted now and forecast, minus %d cores of"
              + " queued paid jobs", heaters, sources, idle, queuedPaid)));
    });
    return result;
  }

  /** What the fleet looks like, refreshed by every sweep (for the status page). */
  public FleetView view() {
    return view;
  }

  /**
   * Drains a node (no new work; its running attempts finish) or lets it take work again. The drain
   * holds across the node's reconnects. Completes with false when the node never said hello here.
   */
  public CompletableFuture<Boolean> setDrained(String nodeId, boolean drained) {
    CompletableFuture<Boolean> done = new CompletableFuture<>();
    execute(() -> {
      NodeEntry e = nodes.get(nodeId);
      if (e == null) {
        done.complete(false);
        return;
      }
      if (e.drained != drained) {
        e.drained = drained;
        LOG.info("node {} {}", nodeId, drained ? "drained by an operator: it takes no new work" : "undrained: it takes work again");
      }
      if (e.slot >= 0 && !e.lost && e.session != null && e.session.isOpen()) {
        engine.setNodeState(e.slot, drained ? NodeStates.DRAINING : NodeStates.READY);
        if (!drained) {
          runCycle();
        }
      }
      done.complete(true);
    });
    return done;
  }

  /** A copy of every node, running attempt and queue length, taken on the placer thread. */
  public CompletableFuture<FleetSnapshot> snapshot() {
    CompletableFuture<FleetSnapshot> done = new CompletableFuture<>();
    execute(() -> done.complete(takeSnapshot()));
    return done;
  }

  /** Why a job waits, as last explained; null when it is not pending here. */
  public String pendingSummary(String jobId) {
    Pending p = pendingById.get(jobId);
    return p == null ? null : p.lastSummary;
  }

  // ---------------------------------------------------------------- placer thread

  private void adoptQueued() {
    int n = 0;
    for (Job j : store.inStates(List.of(JobState.JOB_STATE_QUEUED))) {
      n += enqueue(j) ? 1 : 0;
    }
    if (n > 0) {
      LOG.info("placer took over {} queued jobs", n);
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
      JobRequest r = request(j);
      long assignedAt = a.hasAssignedAt() ? JobLifecycle.instant(a.getAssignedAt()).toEpochMilli() : now;
      track(new Active(j.getJobId(), j.getOwner(), j.getSpec().getGrantId(), a.getNodeId(), token, r,
          ++assignments, assignedAt, new double[] {0, 0, 0}));
      runningCores(j.getOwner())[r.tier] += r.cores;
      e.tokens.add(token);
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

  /** Queues a QUEUED job this placer does not hold yet; false when it is not one (nothing done). */
  private boolean enqueue(Job job) {
    // An array job is never placed itself: its instances are.
    if (pendingById.containsKey(job.getJobId()) || job.getState() != JobState.JOB_STATE_QUEUED || job.hasArray()) {
      return false;
    }
    JobRequest r = request(job);
    Shape shape = new Shape(r.cores, r.memoryMib, r.minSecurityClass, r.tier, r.exclusive,
        r.exclusive ? r.tenant : -1, r.regionMask);
    Pending p = new Pending(job.getJobId(), job.getOwner(), job.getSpec().getGrantId(), r, shape, JobLifecycle.queueDeadline(job));
    if (job.hasPending()) {
      p.lastSummary = job.getPending().getSummary();
    }
    pendingById.put(job.getJobId(), p);
    queue(p);
    pendingCount = pendingById.size();
    return true;
  }

  /**
   * Puts a job at the end of its tier's queue; during a cycle (a failed assignment write, a
   * preempted attempt) only when the cycle ends, not into a queue the cycle is walking.
   */
  private void queue(Pending p) {
    if (cycling) {
      requeueAfterCycle.add(p);
    } else {
      queues[Math.max(0, Math.min(TIERS - 1, p.request.tier - 1))].add(p);
    }
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
    grantHolds.clear();
    cycling = true;
    try {
      walkQueues(failed);
      bindAll();
    } finally {
      cycling = false;
      requeueAfterCycle.forEach(this::queue);
      requeueAfterCycle.clear();
    }
    pendingCount = pendingById.size();
  }

  private void walkQueues(Set<Shape> failed) {
    for (TierQueue queue : queues) {
      int failedHere = 0;
      // In place, oldest first: a job that stays keeps its position.
      for (java.util.Iterator<Pending> it = queue.iterator(); it.hasNext() && failedHere < queue.distinctShapes(); ) {
        Pending p = it.next();
        if (p.removed) {
          it.remove();
          queue.left(p);
          continue;
        }
        if (failed.contains(p.shape)) {
          continue;
        }
        p.quotaReason = quotas.isEmpty() ? null
            : quotas.exceeded(p.owner, p.request.tier, p.request.cores, runningCores(p.owner));
        if (p.quotaReason == null && ledger != null && !p.grantId.isEmpty()) {
          p.quotaReason = grantHolds.computeIfAbsent(p.grantId, g -> ledger.blocked(p.owner, g, clock.instant()));
        }
        if (p.quotaReason != null) {
          continue;
        }
        long t0 = System.nanoTime();
        int slot = engine.place(p.request);
        if (slot < 0 && p.request.tier < Tiers.DONATED) {
          slot = preemptFor(p.request);
        }
        boolean bound = slot >= 0 && reserve(p, slot);
        listener.decided(p.request.tier, slot < 0 ? PlacementListener.Outcome.NO_FIT
            : bound ? PlacementListener.Outcome.PLACED : PlacementListener.Outcome.CONFLICT, System.nanoTime() - t0);
        if (!bound) {
          if (failed.add(p.shape)) {
            failedHere++;
          }
        } else {
          it.remove();
          queue.left(p);
          if (binding.size() >= BIND_BATCH) {
            bindAll();
          }
        }
      }
    }
  }

  /** A decision whose QUEUED -> ASSIGNED write is still to be made. */
  private record Binding(Pending pending, NodeEntry node, String nodeId, int slot, long token, Instant at) {}

  /** Decisions of this cycle waiting for {@link #bindAll}: their capacity is reserved already. */
  private final List<Binding> binding = new ArrayList<>();

  /** Reserves the job's resources on the node; the cluster state is written by {@link #bindAll}. */
  private boolean reserve(Pending p, int slot) {
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
    binding.add(new Binding(p, node, nodeId, slot, token, clock.instant()));
    return true;
  }

  /**
   * Commits the waiting decisions QUEUED -> ASSIGNED in the cluster state, all at once (each write
   * waits for a durable commit, and concurrent ones share it), then sends each node its assignment.
   * A job cancelled or gone meanwhile gives its reservation back; a failed write requeues the job.
   */
  private void bindAll() {
    if (binding.isEmpty()) {
      return;
    }
    List<Binding> batch = new ArrayList<>(binding);
    binding.clear();
    List<java.util.concurrent.Future<Job>> writes = new ArrayList<>(batch.size());
    for (Binding b : batch) {
      java.util.concurrent.Callable<Job> write = () -> store.update(b.pending().jobId,
          j -> JobLifecycle.assign(j, b.nodeId(), b.token(), b.at()));
      if (batch.size() > 1) {
        writes.add(writers.submit(write));
        continue;
      }
      java.util.concurrent.CompletableFuture<Job> here = new java.util.concurrent.CompletableFuture<>();
      try {
        here.complete(write.call());
      } catch (Exception e) {
        here.completeExceptionally(e);
      }
      writes.add(here);
    }
    for (int i = 0; i < batch.size(); i++) {
      Binding b = batch.get(i);
      Pending p = b.pending();
      Job after;
      try {
        after = writes.get(i).get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        after = null;
      } catch (java.util.concurrent.ExecutionException e) {
        LOG.warn("job {}: assignment to node {} not written ({}); it stays queued", p.jobId, b.nodeId(),
            e.getCause().toString());
        engine.unreserve(b.token());
        queue(p);
        continue;
      }
      p.removed = true;
      pendingById.remove(p.jobId);
      if (after == null) {
        // Cancelled, expired or gone meanwhile: nothing to run.
        engine.unreserve(b.token());
        continue;
      }
      sendAssignment(b, after);
    }
  }

  /** The job is ASSIGNED in the cluster state: account for it and send the node its assignment. */
  private void sendAssignment(Binding b, Job after) {
    Pending p = b.pending();
    NodeEntry node = b.node();
    String nodeId = b.nodeId();
    long token = b.token();
    int slot = b.slot();
    Instant now = b.at();
    runningCores(p.owner)[p.request.tier] += p.request.cores;
    track(new Active(p.jobId, p.owner, p.grantId, nodeId, token, p.request, ++assignments, now.toEpochMilli(),
        new double[] {0, 0, usefulFraction(slot)}));
    listener.assigned(p.request.tier, Duration.between(JobLifecycle.instant(after.getCreatedAt()), now));
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
  }

  private int[] runningCores(String owner) {
    return runningByOwner.computeIfAbsent(owner, o -> new int[Tiers.DONATED + 1]);
  }

  /** Writes an ended attempt's useful heat and the job's energy facts, once its energy is known. */
  private void accountEnergy(String jobId, long token) {
    Double fraction = endedFractions.get(token);
    if (fraction == null) {
      return;
    }
    // Off the placer's thread: the write waits for a durable commit and nothing here needs its result.
    writers.execute(() -> guarded("energy of " + jobId, () -> store.update(jobId, j -> JobLifecycle.accountEnergy(j,
        token, fraction, options.displacedHeatingGramsPerKwh(), energyAssumptions))));
  }

  /** Share of a node's compute draw that its room or tank wants now: 0 on data-center nodes. */
  private double usefulFraction(int slot) {
    var fleet = engine.fleet();
    return NodeSession.usefulFraction(fleet.isHeater(slot), fleet.heatDemandWatts(slot), fleet.computeDrawWatts(slot));
  }

  /**
   * Makes room for a job of a paid tier that fits nowhere: on the node where stopping the least
   * important lower-tier work (strictly lower tier, DONATED first, newest first) lets the job pass
   * every filter, those attempts are preempted (recorded PREEMPTED, requeued, their processes
   * terminated with a grace period) and the node's slot is returned; -1 when no node can be freed.
   * Cold path: a scan of the nodes that hold lower-tier work, run only when placement failed.
   */
  private int preemptFor(JobRequest job) {
    int below = 0;
    for (int t = job.tier + 1; t < activeByTier.length; t++) {
      below += activeByTier[t];
    }
    if (below == 0) {
      // Nothing runs at a lower tier: no node could make room (and the scan of every node is skipped).
      return -1;
    }
    int bestSlot = -1;
    List<Active> bestVictims = null;
    int bestWorstTier = 0;
    int bestCores = Integer.MAX_VALUE;
    for (NodeEntry e : nodes.values()) {
      if (e.slot < 0 || e.lost || e.tokens.isEmpty() || !passesStaticFilters(e.slot, job)) {
        continue;
      }
      List<Active> lower = new ArrayList<>();
      for (Long t : e.tokens) {
        Active a = activeByToken.get(t);
        if (a != null && a.request().tier > job.tier) {
          lower.add(a);
        }
      }
      if (lower.isEmpty()) {
        continue;
      }
      // Least important first: the lowest tier, then the most recently started.
      lower.sort((x, y) -> x.request().tier != y.request().tier ? Integer.compare(y.request().tier, x.request().tier)
          : Long.compare(y.sequence(), x.sequence()));
      List<Active> victims = victimsToFit(e, job, lower);
      if (victims == null) {
        continue;
      }
      int worstTier = victims.stream().mapToInt(a -> a.request().tier).min().orElse(Tiers.DONATED);
      int cores = victims.stream().mapToInt(a -> a.request().cores).sum();
      // Prefer stopping only low tiers, then as few cores as possible.
      if (bestVictims == null || worstTier > bestWorstTier || (worstTier == bestWorstTier && cores < bestCores)) {
        bestSlot = e.slot;
        bestVictims = victims;
        bestWorstTier = worstTier;
        bestCores = cores;
      }
    }
    if (bestVictims == null) {
      return -1;
    }
    preempt(nodes.get(engine.nodeId(bestSlot)), bestVictims, "preempted for a " + Tiers.name(job.tier) + " job");
    return bestSlot;
  }

  /**
   * Stops attempts on a node now: each is released, recorded PREEMPTED and requeued, and the node
   * is told to terminate its process with the grace period.
   */
  private void preempt(NodeEntry node, List<Active> victims, String why) {
    Instant now = clock.instant();
    double freedWatts = 0;
    int slot = node.slot;
    for (Active v : victims) {
      release(v.token());
      freedWatts += v.request().cores * engine.fleet().wattsPerCore(slot);
      Job after = store.update(v.jobId(), j -> JobLifecycle.preempt(j, v.token(), why, now));
      if (after != null) {
        audit.record("scheduler", "preempt", v.jobId(), "node=" + node.nodeId + " token=" + v.token() + ": " + why);
        listener.preempted(v.request().tier);
        enqueue(after);
      }
      if (node.session != null) {
        node.session.send(SchedulerMessage.newBuilder().setPreemption(Preemption.newBuilder()
            .setJobId(v.jobId()).setFencingToken(v.token()).setReason(why)
            .setGracePeriod(com.google.protobuf.util.Durations.fromMillis(options.preemptionGrace().toMillis()))).build());
      }
    }
    // The node's last report still counts the stopped attempts' draw; their processes are ending now.
    var fleet = engine.fleet();
    engine.updateTelemetry(slot, fleet.heatDemandWatts(slot), Math.max(0, fleet.computeDrawWatts(slot) - freedWatts));
    LOG.info("preempted {} attempts on node {}: {}", victims.size(), node.nodeId, why);
  }

  /**
   * Thermal stops: a heater that has kept work paused (its room wants less heat than the work
   * makes) for longer than the configured interval loses its lowest-tier attempts, enough to cover
   * the paused cores; they are requeued and placed where heat is wanted.
   */
  private void thermalStops(long nowMillis) {
    long after = options.thermalPreemptAfter().toMillis();
    for (NodeEntry e : nodes.values()) {
      int throttled = e.session == null || e.lost ? 0 : e.session.throttledCores();
      if (throttled <= 0 || e.tokens.isEmpty()) {
        e.throttledSinceMillis = 0;
        continue;
      }
      if (e.throttledSinceMillis == 0) {
        e.throttledSinceMillis = nowMillis;
        continue;
      }
      if (nowMillis - e.throttledSinceMillis < after) {
        continue;
      }
      List<Active> candidates = new ArrayList<>();
      for (Long t : e.tokens) {
        Active a = activeByToken.get(t);
        if (a != null) {
          candidates.add(a);
        }
      }
      candidates.sort((x, y) -> x.request().tier != y.request().tier ? Integer.compare(y.request().tier, x.request().tier)
          : Long.compare(y.sequence(), x.sequence()));
      List<Active> victims = new ArrayList<>();
      int cores = 0;
      for (Active a : candidates) {
        if (cores >= throttled) {
          break;
        }
        victims.add(a);
        cores += a.request().cores;
      }
      preempt(e, victims, "room warm: node " + e.nodeId + " kept " + throttled + " cores paused for "
          + (nowMillis - e.throttledSinceMillis) / 1000 + " s");
      e.throttledSinceMillis = 0;
    }
  }

  private boolean passesStaticFilters(int slot, JobRequest job) {
    for (PlacementFilter f : engine.filters()) {
      String n = f.name();
      if (!n.equals("capacity") && !n.equals("exclusivity") && !n.equals("heat-headroom")
          && !f.accepts(engine.fleet(), slot, job)) {
        return false;
      }
    }
    return true;
  }

  /** The shortest prefix of {@code candidates} whose removal lets the job fit the node, or null. */
  private List<Active> victimsToFit(NodeEntry e, JobRequest job, List<Active> candidates) {
    var fleet = engine.fleet();
    int slot = e.slot;
    int freeCores = fleet.freeCores(slot);
    long freeMemory = fleet.freeMemoryMib(slot);
    int reservedCores = fleet.reservedCores(slot);
    double needWatts = job.cores * fleet.wattsPerCore(slot) * engine.options().minHeatFraction();
    List<Active> victims = new ArrayList<>();
    for (int i = 0; i <= candidates.size(); i++) {
      if (i > 0) {
        Active v = candidates.get(i - 1);
        victims.add(v);
        freeCores += v.request().cores;
        freeMemory += v.request().memoryMib;
        reservedCores -= v.request().cores;
      }
      boolean capacity = freeCores >= job.cores && freeMemory >= job.memoryMib;
      boolean heat = !fleet.isHeater(slot)
          || fleet.heatDemandWatts(slot) - reservedCores * fleet.wattsPerCore(slot) >= needWatts;
      if (capacity && heat && exclusivityAllows(e, job, victims)) {
        return victims.isEmpty() ? null : victims;
      }
    }
    return null;
  }

  private boolean exclusivityAllows(NodeEntry e, JobRequest job, List<Active> victims) {
    for (Long t : e.tokens) {
      Active a = activeByToken.get(t);
      if (a == null || victims.contains(a) || a.request().tenant == job.tenant) {
        continue;
      }
      if (job.exclusive || a.request().exclusive) {
        return false;
      }
    }
    return true;
  }

  private void track(Active a) {
    Active before = activeByToken.put(a.token(), a);
    if (before != null) {
      activeByTier[before.request().tier]--;
    }
    activeByTier[a.request().tier]++;
  }

  private void release(long token) {
    Active a = activeByToken.remove(token);
    unconfirmed.remove(token);
    if (a == null) {
      return;
    }
    activeByTier[a.request().tier]--;
    endedFractions.put(token, a.usefulFraction());
    if (ledger != null && !a.grantId().isEmpty()) {
      double coreHours = a.request().cores * Math.max(0, clock.millis() - a.assignedAtMillis()) / 3_600_000.0;
      ledger.spend(a.grantId(), coreHours);
    }
    runningCores(a.owner())[a.request().tier] -= a.request().cores;
    engine.unreserve(token);
    if (a.tier() == Tiers.DONATED) {
      donatedCoreMillisEnded += a.cores() * Math.max(0, clock.millis() - a.assignedAtMillis());
    }
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
        long now = clock.millis();
        if (e.lastSampleMillis > 0 && !e.tokens.isEmpty()) {
          double dt = now - e.lastSampleMillis;
          double fraction = usefulFraction(e.slot);
          for (Long t : e.tokens) {
            Active a = activeByToken.get(t);
            if (a != null) {
              a.heat()[0] += fraction * dt;
              a.heat()[1] += dt;
              a.heat()[2] = fraction;
            }
          }
        }
        e.lastSampleMillis = now;
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
    engine.setNodeState(e.slot, e.drained ? NodeStates.DRAINING : NodeStates.READY);
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
    // Attempts this node no longer runs (its agent restarted, or the assignment never reached it)
    // would otherwise hold their reservations and jobs forever: requeue them now. Only a hello the
    // node has just sent says so; one replayed to a new leader is out of date.
    java.util.Set<Long> running = new HashSet<>(h.getRunningFencingTokensList());
    // The node holds these: their assignments reached it, even if its reports on them have not
    // arrived yet (they may wait for the store, or for a member that died): never take them back
    // as unacknowledged. Its node timeout still applies.
    for (Long t : running) {
      if (e.tokens.contains(t)) {
        unconfirmed.remove(t);
      }
    }
    List<Long> gone = new ArrayList<>();
    if (session.takeFreshHello()) {
      for (Long t : e.tokens) {
        if (!running.contains(t)) {
          gone.add(t);
        }
      }
    }
    if (!gone.isEmpty()) {
      loseAttempts(e, gone, "node " + e.nodeId + " reconnected without it");
    }
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
    thermalStops(nowMillis);
    takeBackUnacknowledged(nowMillis, timeout);
    queueWalks.runIfDue(this::expireAndExplainQueued);
    pendingCount = pendingById.size();
    runCycle();
    refreshView();
  }

  /**
   * The sweep's walk over every queued job waits this many times its last duration before it runs
   * again (at most {@link #QUEUE_WALK_MAX_WAIT}): with 100,000 jobs queued it took 5 % of the
   * scheduler's CPU samples at every sweep (benchmarks/README.md, round 7). A short queue is walked
   * at every sweep; in a large backlog a job may expire up to that much after its deadline.
   */
  static final int QUEUE_WALK_BUDGET_FACTOR = 100;
  static final Duration QUEUE_WALK_MAX_WAIT = Duration.ofSeconds(10);
  private final CostBudget queueWalks = new CostBudget(QUEUE_WALK_BUDGET_FACTOR, QUEUE_WALK_MAX_WAIT);

  /** Expires the queued jobs past their deadline and writes why the others wait (some per sweep). */
  private void expireAndExplainQueued() {
    Instant now = clock.instant();
    Map<Shape, PendingReason> explained = new HashMap<>();
    int notes = 0;
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
      PendingReason reason = p.quotaReason != null
          ? PendingReason.newBuilder().setSummary(p.quotaReason).addRejections(FilterRejection.newBuilder()
              .setFilter("quota")).setEvaluatedAt(JobLifecycle.timestamp(now)).build()
          : explained.computeIfAbsent(p.shape, s -> explain(p.request, now));
      if (!reason.getSummary().equals(p.lastSummary) && notes < PENDING_NOTES_PER_SWEEP) {
        // Written by the writer threads, not waited for: one durable write after another here
        // stopped placement for a minute behind a backlog of 50,000 jobs whose reason changed.
        // The oldest jobs first; the others get theirs in a later sweep.
        notes++;
        p.lastSummary = reason.getSummary();
        String jobId = p.jobId;
        writers.execute(() -> guarded("pending reason of " + jobId, () -> store.update(jobId, j -> JobLifecycle.pending(j, reason))));
      }
    }
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
    int requeued = loseAttempts(e, new ArrayList<>(e.tokens), "node " + e.nodeId + " silent for " + silentMillis + " ms");
    LOG.warn("node {} lost after {} ms of silence; {} attempts requeued", e.nodeId, silentMillis, requeued);
  }

  /** Ends these attempts of a node as LOST, releasing them and requeueing their jobs; returns how many were requeued. */
  private int loseAttempts(NodeEntry e, List<Long> tokens, String why) {
    Instant now = clock.instant();
    int requeued = 0;
    for (Long token : tokens) {
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
    return requeued;
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

  private FleetSnapshot takeSnapshot() {
    List<FleetSnapshot.Node> rows = new ArrayList<>(nodes.size());
    for (NodeEntry e : nodes.values()) {
      NodeSession s = e.session;
      if (s == null || e.slot < 0) {
        continue;
      }
      Hello h = s.hello();
      int state = e.lost || !s.isOpen() ? NodeStates.LOST : engine.nodeState(e.slot);
      rows.add(new FleetSnapshot.Node(e.nodeId, h.getKindValue(), s.securityClass(), state, e.drained, h.getCores(),
          engine.fleet().reservedCores(e.slot), e.tokens.size(), h.getMaxWatts(), s.heatDemandWatts(),
          s.computeDrawWatts(), s.insideTemperatureC(), s.outdoorTemperatureC(), h.getSite(), h.getRegion(),
          s.lastSeenMillis()));
    }
    List<FleetSnapshot.Attempt> attempts = new ArrayList<>(activeByToken.size());
    for (Active a : activeByToken.values()) {
      attempts.add(new FleetSnapshot.Attempt(a.jobId(), a.nodeId(), a.tier(), a.cores(), a.assignedAtMillis()));
    }
    int[] pendingByTier = new int[TIERS];
    for (Pending p : pendingById.values()) {
      pendingByTier[Math.max(0, Math.min(TIERS - 1, p.request.tier - 1))]++;
    }
    return new FleetSnapshot(clock.millis(), rows, attempts, pendingByTier, donatedCoreMillisEnded);
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
    writers.shutdownNow();
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
