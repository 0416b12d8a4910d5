package io.hearth.worker.agent;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.hearth.api.v1.AttemptState;
import io.hearth.api.v1.AttemptUpdate;
import io.hearth.api.v1.Hello;
import io.hearth.api.v1.LogChunkReply;
import io.hearth.api.v1.LogRequest;
import io.hearth.api.v1.NodeKind;
import io.hearth.api.v1.NodeMessage;
import io.hearth.api.v1.NodeServiceGrpc;
import io.hearth.api.v1.SchedulerMessage;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.Telemetry;
import io.hearth.api.v1.UpdateRejected;
import io.hearth.api.v1.Welcome;
import io.hearth.worker.Check;
import io.hearth.worker.thermal.NoHeat;
import io.hearth.worker.thermal.OutdoorTemperature;
import io.hearth.worker.thermal.SimulatedRoom;
import io.hearth.worker.thermal.SimulatedTank;
import io.hearth.worker.thermal.ThermostatReading;
import io.hearth.worker.thermal.ThermostatSource;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent: holds one {@code NodeService.Connect} stream to the scheduler, introduces the
 * node with a {@link Hello}, reports {@link Telemetry} from its {@link ThermostatSource} every
 * interval, runs each assignment as a real OS process and reports on it, and reconnects with
 * exponential backoff and jitter when the stream fails. Processes keep running across reconnects;
 * attempt updates produced while disconnected are queued (bounded) and sent after the next
 * Welcome, followed by a RUNNING report for every attempt still running so the scheduler can
 * reconcile (it refuses stale ones, and a refusal stops the process).
 *
 * <p>Threading: all state changes and every send on the stream happen in one serial context (a
 * {@link SerialExecutor} over the scheduled executor, shared by many agents in a fleet); gRPC
 * callbacks are delivered into that context ({@code withExecutor}), process exits and timers hop
 * into it, so the (not thread-safe) request {@link StreamObserver} is only ever touched there and
 * no thread ever waits on a process. The read-only views ({@link #isConnected()},
 * {@link #runningAttempts()}, {@link #completedAttempts()}, ...) may be called from any thread.
 *
 * <p>Lifecycle: {@link Builder#build()} then {@link #start()}; {@link #close()} kills the running
 * processes, half-closes the stream and releases what the agent owns (the channel and executor if
 * the builder created them).
 */
public final class NodeAgent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeAgent.class);

  public static final String AGENT_VERSION = versionOrDefault();
  public static final Duration DEFAULT_TELEMETRY_INTERVAL = Duration.ofSeconds(5);
  public static final Duration DEFAULT_THROTTLE_AFTER = Duration.ofSeconds(30);
  /** How far ahead the heat demand forecast in telemetry looks (the scheduler's donation window). */
  public static final Duration FORECAST_HORIZON = Duration.ofHours(4);
  public static final Duration DEFAULT_CANCEL_GRACE = Duration.ofSeconds(5);
  public static final Duration DEFAULT_BACKOFF_INITIAL = Duration.ofMillis(100);
  public static final Duration DEFAULT_BACKOFF_MAX = Duration.ofSeconds(5);
  public static final int DEFAULT_MAX_QUEUED_UPDATES = 10_000;
  public static final int DEFAULT_COMPLETED_HISTORY = 10_000;
  /** Final updates sent this recently before a stream failed are sent again after reconnecting. */
  static final Duration RESEND_WINDOW = Duration.ofSeconds(5);
  /** The most fencing tokens a hello may list (the scheduler refuses more). */
  static final int MAX_HELD_TOKENS = 1024;
  private static final Duration MIN_TELEMETRY_INTERVAL = Duration.ofMillis(10);

  private final Hello hello;
  private final String nodeId;
  private final double maxWatts;
  private final double wattsPerCore;
  private final ManagedChannel channel;
  private final boolean ownsChannel;
  private final ScheduledExecutorService timer;
  private final boolean ownsTimer;
  private final SerialExecutor context;
  private final NodeServiceGrpc.NodeServiceStub stub;
  private final ThermostatSource thermostat;
  private final Clock clock;
  private final Random random;
  private final Backoff backoff;
  private final int maxQueuedUpdates;
  private final AttemptSupervisor supervisor;
  private final AttemptLogs logs;

  // Confined to the serial context.
  private Connection current;
  private final ArrayDeque<AttemptUpdate> pending = new ArrayDeque<>();
  private ScheduledFuture<?> telemetryTask;
  private Duration telemetryInterval;
  private ScheduledFuture<?> reconnectTask;
  private Instant lastAdvance;
  private boolean everConnected;
  private int failuresInARow;

  // Views, written in the serial context.
  private volatile boolean started;
  private volatile boolean closed;
  private volatile boolean connected;
  private volatile int connects;
  private volatile ThermostatReading lastReading;
  private volatile double energyWh;
  private final Duration throttleAfter;
  /** Since when the compute has drawn more than the room wants (context thread only). */
  private Instant warmSince;
  private volatile double throttleTargetWatts = Double.NaN;
  private volatile SecurityClass effectiveSecurityClass = SecurityClass.SECURITY_CLASS_UNSPECIFIED;

  private NodeAgent(Builder b) {
    this.nodeId = b.nodeId;
    this.maxWatts = b.maxWatts;
    this.wattsPerCore = b.wattsPerCore;
    this.throttleAfter = b.throttleAfter;
    this.hello = Hello.newBuilder()
        .setNodeId(b.nodeId)
        .setKind(b.kind)
        .setSecurityClass(b.securityClass)
        .setCores(b.cores)
        .setMemoryMib(b.memoryMib)
        .setMaxWatts(b.maxWatts)
        .setWattsPerCore(b.wattsPerCore)
        .setSite(b.site)
        .setRegion(b.region)
        .setAgentVersion(b.agentVersion)
        .build();
    if (b.channel != null) {
      this.channel = b.channel;
      this.ownsChannel = false;
    } else {
      this.channel = b.credentials != null
          ? io.grpc.Grpc.newChannelBuilder(io.hearth.client.Members.target(b.target), b.credentials).build()
          : ManagedChannelBuilder.forTarget(io.hearth.client.Members.target(b.target)).usePlaintext().build();
      this.ownsChannel = true;
    }
    if (b.executor != null) {
      this.timer = b.executor;
      this.ownsTimer = false;
    } else {
      this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "hearth-agent-" + b.nodeId);
        t.setDaemon(true);
        return t;
      });
      this.ownsTimer = true;
    }
    this.context = new SerialExecutor(timer);
    // The node's identity and attested security class travel in its TLS client certificate.
    this.stub = NodeServiceGrpc.newStub(channel).withExecutor(context);
    this.clock = b.clock;
    this.random = b.random != null ? b.random : new Random();
    this.backoff = new Backoff(b.backoffInitial, b.backoffMax, random);
    this.maxQueuedUpdates = b.maxQueuedUpdates;
    this.telemetryInterval = b.telemetryInterval;
    this.thermostat = b.thermostat != null ? b.thermostat : defaultThermostat(b);
    this.logs = new AttemptLogs(b.workDir, clock, b.logRetention, b.logMaxTotalBytes, BoundedLog.DEFAULT_HEAD,
        BoundedLog.DEFAULT_TAIL);
    this.supervisor = new AttemptSupervisor(b.nodeId, b.workDir, context, timer, clock,
        b.cancelGrace, b.completedHistory, new AttemptSupervisor.Listener() {
          @Override
          public void beforeBusyChange() {
            advanceModel(clock.instant());
          }

          @Override
          public void report(AttemptUpdate update) {
            sendUpdate(update);
          }
        }, b.environment, b.secrets, b.wattsPerCore, logs);
    this.lastReading = thermostat.current();
  }

  private static ThermostatSource defaultThermostat(Builder b) {
    switch (b.kind) {
      case NODE_KIND_BOILER:
        return SimulatedTank.builder().maxWatts(b.maxWatts).timeScale(b.timeScale)
            .outdoor(b.outdoor).build();
      case NODE_KIND_DATACENTER:
        return new NoHeat(b.outdoor);
      default:
        return SimulatedRoom.builder().maxWatts(b.maxWatts).timeScale(b.timeScale)
            .outdoor(b.outdoor).build();
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Opens the stream (asynchronously) and starts the telemetry clock. Returns this agent. */
  public NodeAgent start() {
    if (closed) {
      throw new IllegalStateException("agent " + nodeId + " is closed");
    }
    if (!started) {
      started = true;
      context.execute(() -> {
        advanceModel(clock.instant());
        scheduleTelemetry(telemetryInterval, true);
        connect();
      });
    }
    return this;
  }

  // ---- connection -------------------------------------------------------------------------

  /** One Connect call. Its callbacks run in the serial context; stale ones are ignored. */
  private final class Connection implements StreamObserver<SchedulerMessage> {
    StreamObserver<NodeMessage> out;
    boolean confirmed;
    /** Final updates sent on this stream, newest last, for a resend if it fails soon after. */
    final ArrayDeque<Sent> recentFinals = new ArrayDeque<>();

    @Override
    public void onNext(SchedulerMessage m) {
      if (this == current) {
        handle(this, m);
      }
    }

    @Override
    public void onError(Throwable t) {
      if (this == current) {
        lost(this, t.toString());
      }
    }

    @Override
    public void onCompleted() {
      if (this == current) {
        lost(this, "stream closed by the scheduler");
      }
    }
  }

  private record Sent(AttemptUpdate update, long atNanos) {}

  private void connect() {
    reconnectTask = null;
    if (closed || current != null) {
      return;
    }
    if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
      // Our backoff governs retries, not the channel's (which grows to minutes).
      channel.resetConnectBackoff();
    }
    Connection c = new Connection();
    current = c;
    try {
      c.out = stub.connect(c);
      Hello.Builder h = hello.toBuilder().addAllRunningFencingTokens(heldTokens());
      c.out.onNext(NodeMessage.newBuilder().setHello(h).build());
    } catch (RuntimeException e) {
      lost(c, e.toString());
      return;
    }
    connects++;
    log.debug("node {}: hello sent", nodeId);
  }

  /**
   * The attempts this node still holds, for the hello: processes running now, then attempts that
   * ended but whose final report waits in the queue (newest first), at most {@value #MAX_HELD_TOKENS}.
   * The second kind matters after a failover: a report sent to a member that died is sent again on
   * the new stream, and a scheduler that read only the running processes from the hello would
   * requeue the attempt before that report arrived, and the job would run twice.
   */
  private java.util.Collection<Long> heldTokens() {
    java.util.LinkedHashSet<Long> held = new java.util.LinkedHashSet<>();
    for (RunningAttempt r : supervisor.running()) {
      held.add(r.fencingToken());
    }
    for (java.util.Iterator<AttemptUpdate> newest = pending.descendingIterator();
        newest.hasNext() && held.size() < MAX_HELD_TOKENS; ) {
      held.add(newest.next().getFencingToken());
    }
    return held;
  }

  private void lost(Connection c, String why) {
    if (c != current) {
      return;
    }
    current = null;
    boolean wasConnected = connected;
    connected = false;
    if (c.out != null) {
      try {
        c.out.onError(io.grpc.Status.CANCELLED.withDescription("agent reconnecting").asRuntimeException());
      } catch (RuntimeException ignored) {
        // the call is already over
      }
    }
    // Final updates sent just before the failure may not have arrived; send them again.
    long cutoff = System.nanoTime() - RESEND_WINDOW.toNanos();
    List<AttemptUpdate> resend = new ArrayList<>();
    for (Sent s : c.recentFinals) {
      if (s.atNanos() >= cutoff) {
        resend.add(s.update());
      }
    }
    for (int i = resend.size() - 1; i >= 0; i--) {
      pending.addFirst(resend.get(i));
    }
    trimPending();
    if (closed) {
      return;
    }
    Duration delay = backoff.next();
    failuresInARow++;
    if (wasConnected) {
      log.warn("node {}: lost the scheduler ({}); reconnecting in {} ms", nodeId, why, delay.toMillis());
    } else if (failuresInARow == 1) {
      log.warn("node {}: cannot reach the scheduler ({}); retrying with backoff", nodeId, why);
    } else {
      log.debug("node {}: connect failed ({}); retrying in {} ms", nodeId, why, delay.toMillis());
    }
    reconnectTask = timer.schedule(() -> context.execute(this::connect), delay.toNanos(),
        TimeUnit.NANOSECONDS);
  }

  private void handle(Connection c, SchedulerMessage m) {
    if (!c.confirmed) {
      confirmed(c, m.hasWelcome() ? m.getWelcome() : null);
    }
    switch (m.getBodyCase()) {
      case WELCOME:
        break;
      case ASSIGNMENT:
        supervisor.start(m.getAssignment());
        break;
      case CANCELLATION:
        supervisor.cancel(m.getCancellation().getJobId(), m.getCancellation().getFencingToken(),
            m.getCancellation().getReason());
        break;
      case PREEMPTION:
        Duration grace = m.getPreemption().hasGracePeriod()
            ? Protos.duration(m.getPreemption().getGracePeriod()) : Duration.ZERO;
        supervisor.preempt(m.getPreemption().getJobId(), m.getPreemption().getFencingToken(),
            m.getPreemption().getReason(), grace);
        break;
      case THROTTLE:
        double target = m.getThrottle().getTargetWatts();
        if (Double.compare(target, throttleTargetWatts) != 0) {
          log.info("node {}: throttle hint {} W (not enforced by this agent)", nodeId, target);
        }
        throttleTargetWatts = target;
        break;
      case UPDATE_REJECTED:
        rejected(m.getUpdateRejected());
        break;
      case LOG_REQUEST:
        // Disk reads off the agent's thread; the answer goes back on it, on the stream that asked.
        LogRequest request = m.getLogRequest();
        AttemptLogs.IO.execute(() -> {
          LogChunkReply reply = logs.answer(request);
          context.execute(() -> {
            if (c == current && c.out != null) {
              c.out.onNext(NodeMessage.newBuilder().setLogChunk(reply).build());
            }
          });
        });
        break;
      default:
        log.debug("node {}: ignored message {}", nodeId, m.getBodyCase());
    }
  }

  /** The first message on a stream (normally the Welcome): the scheduler has us. */
  private void confirmed(Connection c, Welcome welcome) {
    c.confirmed = true;
    connected = true;
    backoff.reset();
    failuresInARow = 0;
    if (welcome != null) {
      effectiveSecurityClass = welcome.getEffectiveSecurityClass();
      if (welcome.hasTelemetryInterval()) {
        Duration d = Protos.duration(welcome.getTelemetryInterval());
        if (d.compareTo(MIN_TELEMETRY_INTERVAL) >= 0 && !d.equals(telemetryInterval)) {
          telemetryInterval = d;
          scheduleTelemetry(d, false);
        }
      }
    }
    if (everConnected) {
      log.info("node {}: reconnected ({} queued updates)", nodeId, pending.size());
    } else {
      log.info("node {}: connected as {}", nodeId, effectiveSecurityClass);
    }
    everConnected = true;
    Set<String> reported = new HashSet<>();
    while (!pending.isEmpty() && current == c) {
      AttemptUpdate u = pending.pollFirst();
      reported.add(AttemptSupervisor.key(u.getJobId(), u.getFencingToken()));
      send(c, u);
    }
    if (connects > 1) {
      for (RunningAttempt r : supervisor.running()) {
        if (current == c && !reported.contains(AttemptSupervisor.key(r.jobId(), r.fencingToken()))) {
          send(c, AttemptUpdate.newBuilder()
              .setJobId(r.jobId())
              .setFencingToken(r.fencingToken())
              .setState(AttemptState.ATTEMPT_STATE_RUNNING)
              .setTime(Protos.timestamp(r.startedAt()))
              .build());
        }
      }
    }
    if (current == c) {
      advanceModel(clock.instant());
      sendTelemetry(c);
    }
  }

  private void rejected(UpdateRejected r) {
    boolean wasRunning = supervisor.forget(r.getJobId(), r.getFencingToken());
    pending.removeIf(u -> u.getJobId().equals(r.getJobId()) && u.getFencingToken() == r.getFencingToken());
    log.info("node {}: update on job {} token {} rejected ({}){}", nodeId, r.getJobId(),
        r.getFencingToken(), r.getReason(), wasRunning ? "; stopping its process" : "");
  }

  private void sendUpdate(AttemptUpdate u) {
    Connection c = current;
    if (c != null && c.confirmed) {
      send(c, u);
    } else {
      pending.addLast(u);
      trimPending();
    }
  }

  private void trimPending() {
    while (pending.size() > maxQueuedUpdates) {
      AttemptUpdate dropped = pending.pollFirst();
      log.warn("node {}: update queue full, dropped {} of job {}", nodeId, dropped.getState(), dropped.getJobId());
    }
  }

  /** Sends on the stream; on failure the stream is abandoned (updates are queued again). */
  private void send(Connection c, AttemptUpdate u) {
    if (sendRaw(c, NodeMessage.newBuilder().setAttemptUpdate(u).build())) {
      if (u.getState() != AttemptState.ATTEMPT_STATE_RUNNING) {
        c.recentFinals.addLast(new Sent(u, System.nanoTime()));
        long cutoff = System.nanoTime() - RESEND_WINDOW.toNanos();
        while (c.recentFinals.size() > 64 || c.recentFinals.peekFirst().atNanos() < cutoff) {
          c.recentFinals.pollFirst();
          if (c.recentFinals.isEmpty()) {
            break;
          }
        }
      }
    } else {
      pending.addLast(u);
      trimPending();
    }
  }

  private boolean sendRaw(Connection c, NodeMessage m) {
    try {
      c.out.onNext(m);
      return true;
    } catch (RuntimeException e) {
      lost(c, "send failed: " + e);
      return false;
    }
  }

  // ---- telemetry ----------------------------------------------------------------------------

  private void scheduleTelemetry(Duration interval, boolean randomPhase) {
    if (telemetryTask != null) {
      telemetryTask.cancel(false);
    }
    if (closed) {
      return;
    }
    long period = interval.toNanos();
    // A random phase keeps a fleet's reports from arriving all at once.
    long initial = randomPhase ? (long) (random.nextDouble() * period) : period;
    telemetryTask = timer.scheduleAtFixedRate(() -> context.execute(this::tick), initial, period,
        TimeUnit.NANOSECONDS);
  }

  private void tick() {
    if (closed) {
      return;
    }
    advanceModel(clock.instant());
    throttleIfWarm(clock.instant());
    Connection c = current;
    if (c != null && c.confirmed) {
      sendTelemetry(c);
    }
  }

  /**
   * A heater whose room or tank has wanted less heat than its compute makes for longer than the
   * throttle delay pauses work until the draw fits the demand, and resumes it when the demand comes
   * back. Data-center nodes never throttle (their heat is not the point).
   */
  private void throttleIfWarm(Instant now) {
    if (hello.getKind() == NodeKind.NODE_KIND_DATACENTER) {
      return;
    }
    double demand = lastReading.demandWatts();
    boolean over = drawWatts(supervisor.busyCores()) > demand + wattsPerCore / 2;
    if (over && warmSince == null) {
      warmSince = now;
    } else if (!over) {
      warmSince = null;
    }
    if ((warmSince != null && !Duration.between(warmSince, now).minus(throttleAfter).isNegative())
        || supervisor.pausedCores() > 0) {
      supervisor.throttle(demand);
    }
  }

  private void sendTelemetry(Connection c) {
    ThermostatReading r = lastReading;
    int busy = supervisor.busyCores();
    Telemetry t = Telemetry.newBuilder()
        .setHeatDemandWatts(r.demandWatts())
        .setComputeDrawWatts(drawWatts(busy))
        .setInsideTemperatureC(r.insideC())
        .setSetpointC(r.setpointC())
        .setOutdoorTemperatureC(r.outdoorC())
        .setBusyCores(busy)
        .setMeasuredAt(Protos.timestamp(lastAdvance != null ? lastAdvance : clock.instant()))
        .setEnergyWh(energyWh)
        .setForecastHeatDemandWatts(thermostat.forecastDemandWatts(FORECAST_HORIZON))
        .setThrottledCores(supervisor.pausedCores())
        .build();
    sendRaw(c, NodeMessage.newBuilder().setTelemetry(t).build());
  }

  /** Advances the thermal model to {@code now} with the draw in effect since the last advance. */
  private void advanceModel(Instant now) {
    double draw = drawWatts(supervisor.busyCores());
    if (lastAdvance != null && now.isAfter(lastAdvance)) {
      energyWh += draw * (Duration.between(lastAdvance, now).toNanos() / 1e9) / 3600;
    }
    if (lastAdvance == null || now.isAfter(lastAdvance)) {
      lastAdvance = now;
    }
    lastReading = thermostat.advance(now, draw);
  }

  private double drawWatts(int busyCores) {
    return Math.min(maxWatts, busyCores * wattsPerCore);
  }

  // ---- views --------------------------------------------------------------------------------

  public String nodeId() {
    return nodeId;
  }

  /** The Hello this agent sends on every (re)connect. */
  public Hello hello() {
    return hello;
  }

  /** True while a stream is open and the scheduler has answered it (normally with a Welcome). */
  public boolean isConnected() {
    return connected;
  }

  /** How many streams this agent has opened (Hellos sent). */
  public int connectCount() {
    return connects;
  }

  /** Attempts whose process runs now (job id, fencing token, pid, ...). */
  public List<RunningAttempt> runningAttempts() {
    return supervisor.running();
  }

  /** The agent's own records of ended attempts, oldest first (bounded history). */
  public List<CompletedAttempt> completedAttempts() {
    return supervisor.completed();
  }

  /** Sum of the cores of running attempts. */
  public int busyCores() {
    return supervisor.busyCores();
  }

  /** Busy cores times watts per core, capped at max watts. */
  public double computeDrawWatts() {
    return drawWatts(supervisor.busyCores());
  }

  /** The thermostat reading of the last telemetry tick. */
  public ThermostatReading lastReading() {
    return lastReading;
  }

  public ThermostatSource thermostat() {
    return thermostat;
  }

  /** Energy the compute drew since start, watt-hours (real time). */
  public double energyWh() {
    return energyWh;
  }

  /** The class the scheduler said it places by (UNSPECIFIED before the first Welcome). */
  public SecurityClass effectiveSecurityClass() {
    return effectiveSecurityClass;
  }

  /** Last throttle hint's target in watts, NaN if none was received. */
  /** Cores paused by thermal throttling now. */
  public int throttledCores() {
    return supervisor.pausedCores();
  }

  public double throttleTargetWatts() {
    return throttleTargetWatts;
  }

  /**
   * Stops the agent: kills every running process (SIGKILL, waiting up to 2 s for them to exit),
   * half-closes the stream, and shuts down the channel and executor if the agent created them.
   * Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    supervisor.killAll(Duration.ofSeconds(2));
    CountDownLatch done = new CountDownLatch(1);
    context.execute(() -> {
      try {
        if (telemetryTask != null) {
          telemetryTask.cancel(false);
        }
        if (reconnectTask != null) {
          reconnectTask.cancel(false);
        }
        Connection c = current;
        current = null;
        connected = false;
        if (c != null && c.out != null) {
          try {
            c.out.onCompleted();
          } catch (RuntimeException ignored) {
            // already failed
          }
        }
      } finally {
        done.countDown();
      }
    });
    try {
      done.await(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (ownsChannel) {
      channel.shutdownNow();
      try {
        channel.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (ownsTimer) {
      timer.shutdownNow();
    }
    log.info("node {}: agent stopped", nodeId);
  }

  private static String versionOrDefault() {
    String v = NodeAgent.class.getPackage().getImplementationVersion();
    return v != null ? v : "0.1.0-SNAPSHOT";
  }

  /** Builder for a {@link NodeAgent}. Required: node id and either a scheduler target or a channel. */
  public static final class Builder {
    private String nodeId;
    private String target;
    private ManagedChannel channel;
    private ScheduledExecutorService executor;
    private NodeKind kind = NodeKind.NODE_KIND_RADIATOR;
    private SecurityClass securityClass = SecurityClass.SECURITY_CLASS_SEALED;
    private int cores = 4;
    private long memoryMib = 8192;
    private double maxWatts = 600;
    private double wattsPerCore = 150;
    private String site = "";
    private String region = "fr-paris";
    private String agentVersion = AGENT_VERSION;
    private Path workDir;
    private Duration logRetention = AttemptLogs.DEFAULT_RETENTION;
    private long logMaxTotalBytes = AttemptLogs.DEFAULT_MAX_TOTAL_BYTES;
    private ThermostatSource thermostat;
    private OutdoorTemperature outdoor = OutdoorTemperature.constant(5);
    private double timeScale = 1;
    private Duration telemetryInterval = DEFAULT_TELEMETRY_INTERVAL;
    private Duration cancelGrace = DEFAULT_CANCEL_GRACE;
    private Duration backoffInitial = DEFAULT_BACKOFF_INITIAL;
    private Duration backoffMax = DEFAULT_BACKOFF_MAX;
    private int maxQueuedUpdates = DEFAULT_MAX_QUEUED_UPDATES;
    private int completedHistory = DEFAULT_COMPLETED_HISTORY;
    private Clock clock = Clock.systemUTC();
    private Random random;
    private Map<String, String> environment = System.getenv();
    private io.grpc.ChannelCredentials credentials;
    private Duration throttleAfter = DEFAULT_THROTTLE_AFTER;
    private SecretStore secrets = SecretStore.none();

    private Builder() {}

    /** Stable node id, 1-128 characters of [A-Za-z0-9._-]; sent as identity {@code node/<id>}. */
    public Builder nodeId(String nodeId) {
      this.nodeId = Check.nodeId("nodeId", nodeId);
      return this;
    }

    /** Scheduler address {@code host:port} (plaintext); the agent creates and owns the channel. */
    public Builder scheduler(String hostPort) {
      this.target = Check.text("scheduler", hostPort, 3, 512);
      return this;
    }

    /** Scheduler address; see {@link #scheduler(String)}. */
    public Builder scheduler(String host, int port) {
      return scheduler(host + ":" + Check.intIn("port", port, 1, 65535));
    }

    /** A channel shared with other agents; the agent does not shut it down. */
    public Builder channel(ManagedChannel channel) {
      this.channel = Objects.requireNonNull(channel, "channel");
      return this;
    }

    /**
     * Executor for timers and the agent's serial context, shared with other agents; the agent does
     * not shut it down. Default: a single daemon thread of the agent's own.
     */
    public Builder executor(ScheduledExecutorService executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    public Builder kind(NodeKind kind) {
      if (kind == null || kind == NodeKind.NODE_KIND_UNSPECIFIED || kind == NodeKind.UNRECOGNIZED) {
        throw new IllegalArgumentException("kind: " + kind + " (expected: RADIATOR, BOILER or DATACENTER)");
      }
      this.kind = kind;
      return this;
    }

    /** The class this node will claim in its hello (the certificate's attestation is what counts). */
    public SecurityClass securityClassValue() {
      return securityClass;
    }

    public Builder securityClass(SecurityClass securityClass) {
      if (securityClass == null || securityClass == SecurityClass.SECURITY_CLASS_UNSPECIFIED
          || securityClass == SecurityClass.UNRECOGNIZED) {
        throw new IllegalArgumentException(
            "securityClass: " + securityClass + " (expected: OPEN, SEALED, CONTROLLED or CERTIFIED)");
      }
      this.securityClass = securityClass;
      return this;
    }

    public Builder cores(int cores) {
      this.cores = Check.intIn("cores", cores, 1, 1024);
      return this;
    }

    public Builder memoryMib(long memoryMib) {
      this.memoryMib = Check.longIn("memoryMib", memoryMib, 1, 16_777_216);
      return this;
    }

    /** Electrical power at full load, watts. */
    public Builder maxWatts(double maxWatts) {
      this.maxWatts = Check.positive("maxWatts", maxWatts, 1_000_000);
      return this;
    }

    public Builder wattsPerCore(double wattsPerCore) {
      this.wattsPerCore = Check.positive("wattsPerCore", wattsPerCore, 10_000);
      return this;
    }

    public Builder site(String site) {
      this.site = Check.text("site", site, 0, 128);
      return this;
    }

    public Builder region(String region) {
      this.region = Check.text("region", region, 0, 64);
      return this;
    }

    public Builder agentVersion(String agentVersion) {
      this.agentVersion = Check.text("agentVersion", agentVersion, 0, 64);
      return this;
    }

    /** Parent of the attempts' working directories. Required. */
    /** Logs of attempts that ended longer ago than this are deleted (with their attempt directory). */
    public Builder logRetention(Duration retention) {
      if (retention.isNegative() || retention.isZero()) {
        throw new IllegalArgumentException("logRetention: " + retention + " (expected: > 0)");
      }
      this.logRetention = retention;
      return this;
    }

    /** Ended attempts' directories beyond this many bytes in all are deleted, oldest first. */
    public Builder logMaxTotalBytes(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("logMaxTotalBytes: " + bytes + " (expected: >= 0)");
      }
      this.logMaxTotalBytes = bytes;
      return this;
    }

    public Builder workDir(Path workDir) {
      this.workDir = Objects.requireNonNull(workDir, "workDir");
      return this;
    }

    /**
     * The node's heat side. Default by kind: a {@link SimulatedRoom} (RADIATOR), a
     * {@link SimulatedTank} (BOILER), {@link NoHeat} (DATACENTER), built with {@link #outdoor}
     * and {@link #timeScale}.
     */
    public Builder thermostat(ThermostatSource thermostat) {
      this.thermostat = Objects.requireNonNull(thermostat, "thermostat");
      return this;
    }

    /** Outdoor temperature for the default thermostat. Default: constant 5 C. */
    public Builder outdoor(OutdoorTemperature outdoor) {
      this.outdoor = Objects.requireNonNull(outdoor, "outdoor");
      return this;
    }

    /** Simulated seconds per real second for the default thermostat. Default 1. */
    public Builder timeScale(double timeScale) {
      this.timeScale = Check.positive("timeScale", timeScale, 1e7);
      return this;
    }

    /** Telemetry period until a Welcome names another. Default 5 s. */
    public Builder telemetryInterval(Duration interval) {
      this.telemetryInterval = Check.durationIn("telemetryInterval", interval, MIN_TELEMETRY_INTERVAL,
          Duration.ofHours(1));
      return this;
    }

    /** Time between SIGTERM and SIGKILL on cancellation and timeout. Default 5 s. */
    public Builder cancelGrace(Duration grace) {
      this.cancelGrace = Check.durationIn("cancelGrace", grace, Duration.ZERO, Duration.ofHours(1));
      return this;
    }

    /** Reconnect backoff: first delay and cap. Default 100 ms doubling to 5 s. */
    public Builder reconnectBackoff(Duration initial, Duration max) {
      this.backoffInitial = Check.durationIn("reconnectBackoff.initial", initial, Duration.ofMillis(1),
          Duration.ofMinutes(10));
      this.backoffMax = Check.durationIn("reconnectBackoff.max", max, initial, Duration.ofHours(1));
      return this;
    }

    /** Attempt updates kept while disconnected; the oldest are dropped beyond this. */
    public Builder maxQueuedUpdates(int max) {
      this.maxQueuedUpdates = Check.intIn("maxQueuedUpdates", max, 1, 10_000_000);
      return this;
    }

    /** How many ended attempts {@link NodeAgent#completedAttempts()} keeps. */
    public Builder completedHistory(int max) {
      this.completedHistory = Check.intIn("completedHistory", max, 1, 10_000_000);
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Source of jitter and telemetry phase (seed it for repeatable runs). */
    public Builder random(Random random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /** The agent's environment, from which PATH, LANG, LC_ALL and TZ pass to jobs. */
    /** How long the room may want less heat than the compute makes before work is paused. */
    public Builder throttleAfter(Duration after) {
      this.throttleAfter = java.util.Objects.requireNonNull(after, "throttleAfter");
      return this;
    }

    /** TLS credentials (the node's client certificate and the scheduler's CA) for the channel the agent builds. */
    public Builder credentials(io.grpc.ChannelCredentials credentials) {
      this.credentials = credentials;
      return this;
    }

    /** Where secret references are resolved; default: none (jobs with secrets fail with a reason). */
    public Builder secrets(SecretStore secrets) {
      this.secrets = java.util.Objects.requireNonNull(secrets, "secrets");
      return this;
    }

    public Builder environment(Map<String, String> environment) {
      this.environment = Map.copyOf(environment);
      return this;
    }

    public NodeAgent build() {
      if (nodeId == null) {
        throw new IllegalArgumentException("nodeId: missing (expected: 1..128 characters)");
      }
      if (target == null && channel == null) {
        throw new IllegalArgumentException("scheduler: missing (expected: host:port or a channel)");
      }
      if (workDir == null) {
        throw new IllegalArgumentException("workDir: missing (expected: a directory)");
      }
      return new NodeAgent(this);
    }

    /** {@code build().start()}. */
    public NodeAgent start() {
      return build().start();
    }
  }
}
