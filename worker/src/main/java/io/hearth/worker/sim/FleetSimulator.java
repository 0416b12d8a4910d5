package io.hearth.worker.sim;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.hearth.api.v1.NodeKind;
import io.hearth.api.v1.SecurityClass;
import io.hearth.worker.Check;
import io.hearth.worker.agent.NodeAgent;
import io.hearth.worker.thermal.NoHeat;
import io.hearth.worker.thermal.OutdoorTemperature;
import io.hearth.worker.thermal.RoomGains;
import io.hearth.worker.thermal.SimulatedRoom;
import io.hearth.worker.thermal.SimulatedTank;
import io.hearth.worker.thermal.ThermostatSource;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a fleet of real {@link NodeAgent}s in one JVM against a scheduler, over the real protocol:
 * a seeded mix of radiators, boilers and data-center machines with varied rooms, tanks, sizes and
 * security classes. Node ids read {@code sim-rad-0001}, {@code sim-boi-0001}, {@code sim-dc-0001}.
 * The same seed and count give the same fleet.
 *
 * <p>Agents share a small scheduled thread pool (each agent has a serial context over it, no thread
 * of its own) and a few channels: {@link Builder#agentsPerChannel} streams per channel, because
 * HTTP/2 servers cap concurrent streams per connection (Vert.x defaults to 100).
 *
 * <p>Threading: build and {@link #start()} from one thread; the views are safe from any thread;
 * {@link #close()} is idempotent.
 */
public final class FleetSimulator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FleetSimulator.class);

  public static final double DEFAULT_RADIATOR_SHARE = 0.70;
  public static final double DEFAULT_BOILER_SHARE = 0.15;
  public static final int DEFAULT_AGENTS_PER_CHANNEL = 50;

  private final List<NodeAgent> agents;
  private final Map<String, NodeAgent> byId;
  private final List<ManagedChannel> ownedChannels;
  private final ScheduledThreadPoolExecutor executor;
  private volatile boolean closed;

  private FleetSimulator(Builder b) {
    AtomicInteger threadNo = new AtomicInteger();
    this.executor = new ScheduledThreadPoolExecutor(b.threads, r -> {
      Thread t = new Thread(r, "hearth-fleet-" + threadNo.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    executor.setRemoveOnCancelPolicy(true);
    this.ownedChannels = new ArrayList<>();
    List<ManagedChannel> channels = new ArrayList<>();
    if (b.channel != null) {
      channels.add(b.channel);
    } else if (b.credentials != null) {
      // Each node proves its own identity with its own certificate: one TLS connection per node.
      channels.add(null);
    } else {
      int n = (b.count + b.agentsPerChannel - 1) / b.agentsPerChannel;
      for (int i = 0; i < n; i++) {
        ManagedChannel ch = ManagedChannelBuilder.forTarget(io.hearth.client.Members.target(b.target)).usePlaintext().build();
        channels.add(ch);
        ownedChannels.add(ch);
      }
    }

    Random rnd = new Random(b.seed);
    List<NodeKind> kinds = kinds(b.count, b.radiatorShare, b.boilerShare, rnd);
    int[] perKind = new int[4];
    List<NodeAgent> list = new ArrayList<>(b.count);
    Map<String, NodeAgent> map = new LinkedHashMap<>();
    for (int i = 0; i < b.count; i++) {
      NodeKind kind = kinds.get(i);
      int no = ++perKind[kind.getNumber()];
      NodeAgent.Builder ab = NodeAgent.builder()
          .executor(executor)
          .kind(kind)
          .region(b.region)
          .telemetryInterval(b.telemetryInterval)
          .cancelGrace(b.cancelGrace)
          .reconnectBackoff(b.backoffInitial, b.backoffMax)
          .random(new Random(b.seed * 1_000_003L + i));
      String nodeId;
      switch (kind) {
        case NODE_KIND_BOILER:
          nodeId = String.format("%s-boi-%04d", b.prefix, no);
          boiler(ab, rnd, b, no);
          break;
        case NODE_KIND_DATACENTER:
          nodeId = String.format("%s-dc-%04d", b.prefix, no);
          datacenter(ab, rnd, b);
          break;
        default:
          nodeId = String.format("%s-rad-%04d", b.prefix, no);
          radiator(ab, rnd, b, no);
      }
      ab.nodeId(nodeId).workDir(b.workDir.resolve(nodeId));
      if (channels.get(i % channels.size()) != null) {
        ab.channel(channels.get(i % channels.size()));
      }
      b.customizer.accept(ab);
      if (b.credentials != null && b.channel == null) {
        ManagedChannel own = io.grpc.Grpc.newChannelBuilder(io.hearth.client.Members.target(b.target), b.credentials.apply(nodeId, ab.securityClassValue()))
            .build();
        ownedChannels.add(own);
        ab.channel(own);
      }
      NodeAgent agent = ab.build();
      list.add(agent);
      map.put(nodeId, agent);
    }
    this.agents = Collections.unmodifiableList(list);
    this.byId = Collections.unmodifiableMap(map);
    log.info("fleet of {} nodes: {} radiators, {} boilers, {} data-center; {} channel(s), {} thread(s)",
        b.count, perKind[NodeKind.NODE_KIND_RADIATOR_VALUE], perKind[NodeKind.NODE_KIND_BOILER_VALUE],
        perKind[NodeKind.NODE_KIND_DATACENTER_VALUE], channels.size(), b.threads);
  }

  /** Exact shares (rounded), shuffled by the seed. */
  private static List<NodeKind> kinds(int count, double radiatorShare, double boilerShare, Random rnd) {
    int radiators = (int) Math.round(count * radiatorShare);
    int boilers = Math.min(count - radiators, (int) Math.round(count * boilerShare));
    List<NodeKind> kinds = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      kinds.add(i < radiators ? NodeKind.NODE_KIND_RADIATOR
          : i < radiators + boilers ? NodeKind.NODE_KIND_BOILER : NodeKind.NODE_KIND_DATACENTER);
    }
    Collections.shuffle(kinds, rnd);
    return kinds;
  }

  private static void radiator(NodeAgent.Builder ab, Random rnd, Builder b, int no) {
    double p = rnd.nextDouble();
    SecurityClass sc = p < 0.8 ? SecurityClass.SECURITY_CLASS_SEALED
        : p < 0.9 ? SecurityClass.SECURITY_CLASS_OPEN : SecurityClass.SECURITY_CLASS_CONTROLLED;
    int cores = 2 + rnd.nextInt(3);
    double maxWatts = 500 + rnd.nextInt(151);
    double ua = clamp(30 + 8 * rnd.nextGaussian(), 15, 60);
    double tauHours = clamp(30 + 5 * rnd.nextGaussian(), 20, 40);
    double setpoint = 19 + 0.5 * rnd.nextInt(3);
    // A room starts a little below setpoint, or free-floating at the outdoor temperature in summer.
    double outdoorAtStart = b.outdoor.at(b.simulatedStart != null ? b.simulatedStart : Instant.now());
    double initial = Math.min(35, Math.max(setpoint - rnd.nextDouble(), outdoorAtStart));
    ThermostatSource room = SimulatedRoom.builder()
        .ua(ua).capacity(ua * tauHours * 3600).setpoint(setpoint).initialTemperature(initial)
        .maxWatts(maxWatts).timeScale(b.timeScale).simulatedStart(b.simulatedStart)
        .outdoor(b.outdoor).gains(RoomGains.typical(ua, rnd.nextDouble(), rnd.nextDouble())).build();
    ab.securityClass(sc).cores(cores).memoryMib(rnd.nextBoolean() ? 8192 : 16384)
        .wattsPerCore(130 + rnd.nextInt(31)).maxWatts(maxWatts)
        .site(String.format("bldg-%03d", 1 + (no - 1) / 8)).thermostat(room);
  }

  private static void boiler(NodeAgent.Builder ab, Random rnd, Builder b, int no) {
    int cores = 2 + rnd.nextInt(3);
    double maxWatts = 500 + rnd.nextInt(151);
    ThermostatSource tank = SimulatedTank.builder()
        .volumeLitres(150 + 50 * rnd.nextInt(4)).setpoint(55 + rnd.nextInt(6))
        .lossWattsPerKelvin(1.5 + rnd.nextDouble()).dailyDrawLitres(100 + rnd.nextInt(101))
        .maxWatts(maxWatts).timeScale(b.timeScale).simulatedStart(b.simulatedStart)
        .outdoor(b.outdoor).build();
    ab.securityClass(SecurityClass.SECURITY_CLASS_CONTROLLED).cores(cores).memoryMib(16384)
        .wattsPerCore(130 + rnd.nextInt(31)).maxWatts(maxWatts)
        .site(String.format("plant-%03d", 1 + (no - 1) / 4)).thermostat(tank);
  }

  private static void datacenter(NodeAgent.Builder ab, Random rnd, Builder b) {
    int cores = 16 + 8 * rnd.nextInt(3);
    double wattsPerCore = 8 + rnd.nextInt(8);
    ab.securityClass(SecurityClass.SECURITY_CLASS_CERTIFIED).cores(cores).memoryMib(cores * 4096L)
        .wattsPerCore(wattsPerCore).maxWatts(cores * wattsPerCore + 150)
        .site("dc-paris-1").thermostat(new NoHeat(b.outdoor));
  }

  private static double clamp(double v, double lo, double hi) {
    return Math.max(lo, Math.min(hi, v));
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Starts every agent (each connects asynchronously). Returns this simulator. */
  public FleetSimulator start() {
    for (NodeAgent a : agents) {
      a.start();
    }
    return this;
  }

  /** All agents, in creation order. */
  public List<NodeAgent> agents() {
    return agents;
  }

  /** The agent with this node id, or null. */
  public NodeAgent agent(String nodeId) {
    return byId.get(nodeId);
  }

  public int size() {
    return agents.size();
  }

  public long connectedCount() {
    return agents.stream().filter(NodeAgent::isConnected).count();
  }

  /** Stops every agent (killing their processes), then the channels and threads. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (NodeAgent a : agents) {
      a.close();
    }
    for (ManagedChannel ch : ownedChannels) {
      ch.shutdownNow();
    }
    for (ManagedChannel ch : ownedChannels) {
      try {
        ch.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    executor.shutdownNow();
    log.info("fleet of {} nodes stopped", agents.size());
  }

  /** Builder. Required: a scheduler target (or channel), a count and a work directory. */
  public static final class Builder {
    private String target;
    private ManagedChannel channel;
    private int count = -1;
    private long seed = 1;
    private double radiatorShare = DEFAULT_RADIATOR_SHARE;
    private double boilerShare = DEFAULT_BOILER_SHARE;
    private OutdoorTemperature outdoor = OutdoorTemperature.constant(5);
    private double timeScale = 1;
    private Instant simulatedStart;
    private Path workDir;
    private Duration telemetryInterval = NodeAgent.DEFAULT_TELEMETRY_INTERVAL;
    private Duration cancelGrace = NodeAgent.DEFAULT_CANCEL_GRACE;
    private Duration backoffInitial = NodeAgent.DEFAULT_BACKOFF_INITIAL;
    private Duration backoffMax = NodeAgent.DEFAULT_BACKOFF_MAX;
    private int threads = 2;
    private int agentsPerChannel = DEFAULT_AGENTS_PER_CHANNEL;
    private String prefix = "sim";
    private String region = "fr-paris";
    private Consumer<NodeAgent.Builder> customizer = ab -> {};
    private java.util.function.BiFunction<String, io.hearth.api.v1.SecurityClass, io.grpc.ChannelCredentials> credentials;

    private Builder() {}

    /** Scheduler address {@code host:port} (plaintext); the simulator owns its channels. */
    public Builder scheduler(String hostPort) {
      this.target = Check.text("scheduler", hostPort, 3, 512);
      return this;
    }

    /**
     * TLS credentials per node (its own client certificate, which attests its security class): each
     * agent then gets its own connection, owned and closed by the simulator.
     */
    public Builder credentials(
        java.util.function.BiFunction<String, io.hearth.api.v1.SecurityClass, io.grpc.ChannelCredentials> credentials) {
      this.credentials = Objects.requireNonNull(credentials, "credentials");
      return this;
    }

    /** One channel for every agent, not shut down by the simulator. */
    public Builder channel(ManagedChannel channel) {
      this.channel = Objects.requireNonNull(channel, "channel");
      return this;
    }

    public Builder count(int count) {
      this.count = Check.intIn("count", count, 1, 1_000_000);
      return this;
    }

    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Shares of radiators and boilers; the rest are data-center machines. Default 0.70 / 0.15. */
    public Builder mix(double radiatorShare, double boilerShare) {
      Check.doubleIn("radiatorShare", radiatorShare, 0, 1);
      Check.doubleIn("boilerShare", boilerShare, 0, 1 - radiatorShare);
      this.radiatorShare = radiatorShare;
      this.boilerShare = boilerShare;
      return this;
    }

    public Builder outdoor(OutdoorTemperature outdoor) {
      this.outdoor = Objects.requireNonNull(outdoor, "outdoor");
      return this;
    }

    /** Constant outdoor temperature, e.g. 25 for summer, 5 for winter. Default 5. */
    public Builder outdoorC(double celsius) {
      return outdoor(OutdoorTemperature.constant(Check.doubleIn("outdoorC", celsius, -60, 60)));
    }

    /** Paris climate normals with a daily cycle, at each model's simulated time. */
    public Builder parisNormals() {
      return outdoor(OutdoorTemperature.parisNormals());
    }

    /** Simulated seconds per real second for every room and tank. Default 1. */
    public Builder timeScale(double timeScale) {
      this.timeScale = Check.positive("timeScale", timeScale, 1e7);
      return this;
    }

    /** Simulated start instant of every model (e.g. a winter day); default: now. */
    public Builder simulatedStart(Instant start) {
      this.simulatedStart = start;
      return this;
    }

    /** Parent of the agents' work directories ({@code <workDir>/<nodeId>/...}). */
    public Builder workDir(Path workDir) {
      this.workDir = Objects.requireNonNull(workDir, "workDir");
      return this;
    }

    public Builder telemetryInterval(Duration interval) {
      this.telemetryInterval = Objects.requireNonNull(interval, "telemetryInterval");
      return this;
    }

    public Builder cancelGrace(Duration grace) {
      this.cancelGrace = Objects.requireNonNull(grace, "cancelGrace");
      return this;
    }

    public Builder reconnectBackoff(Duration initial, Duration max) {
      this.backoffInitial = Objects.requireNonNull(initial, "initial");
      this.backoffMax = Objects.requireNonNull(max, "max");
      return this;
    }

    /** Threads shared by all agents. Default 2. */
    public Builder threads(int threads) {
      this.threads = Check.intIn("threads", threads, 1, 256);
      return this;
    }

    /** Streams per owned channel (one TCP connection each). Default 50. */
    public Builder agentsPerChannel(int n) {
      this.agentsPerChannel = Check.intIn("agentsPerChannel", n, 1, 1_000_000);
      return this;
    }

    /** Node id prefix. Default "sim". */
    public Builder nodeIdPrefix(String prefix) {
      this.prefix = Check.nodeId("nodeIdPrefix", prefix);
      return this;
    }

    public Builder region(String region) {
      this.region = Check.text("region", region, 0, 64);
      return this;
    }

    /** Last word on each agent's builder (called after the simulator's own settings). */
    public Builder configure(Consumer<NodeAgent.Builder> customizer) {
      this.customizer = Objects.requireNonNull(customizer, "customizer");
      return this;
    }

    public FleetSimulator build() {
      if (count < 0) {
        throw new IllegalArgumentException("count: missing (expected: 1..1000000)");
      }
      if (target == null && channel == null) {
        throw new IllegalArgumentException("scheduler: missing (expected: host:port or a channel)");
      }
      if (workDir == null) {
        throw new IllegalArgumentException("workDir: missing (expected: a directory)");
      }
      return new FleetSimulator(this);
    }

    /** {@code build().start()}. */
    public FleetSimulator start() {
      return build().start();
    }
  }
}
