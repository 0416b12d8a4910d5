package io.hearth.scheduler.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;

/**
 * Every setting of a scheduler member, with its default as a named constant. Settings come from
 * the defaults, then a properties file, then environment variables ({@code grpc.port} is
 * overridden by {@code HEARTH_GRPC_PORT}). Immutable; build one with {@link #builder()} or
 * {@link #load(Path, Map)}.
 */
public final class SchedulerOptions {

  public static final String DEFAULT_GRPC_HOST = "127.0.0.1";
  public static final int DEFAULT_GRPC_PORT = 7070;
  public static final String DEFAULT_HTTP_HOST = "127.0.0.1";
  public static final int DEFAULT_HTTP_PORT = 8080;
  public static final String DEFAULT_CLUSTER_NAME = "hearth";
  public static final String DEFAULT_CLUSTER_HOST = "127.0.0.1";
  public static final int DEFAULT_CLUSTER_PORT = 5701;
  public static final String DEFAULT_CLUSTER_MEMBERS = "";
  public static final String DEFAULT_CLUSTER_KUBERNETES_SERVICE_DNS = "";
  public static final int DEFAULT_HEALTH_PORT = 0;
  public static final Duration DEFAULT_NODE_TIMEOUT = Duration.ofSeconds(15);
  public static final Duration DEFAULT_LOG_FETCH_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_TELEMETRY_INTERVAL = Duration.ofSeconds(5);
  public static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofSeconds(1);
  public static final double DEFAULT_MIN_HEAT_FRACTION = 1.0;
  public static final boolean DEFAULT_DONATED_ON_DATACENTER = false;
  public static final int DEFAULT_MAX_INBOUND_MESSAGE_BYTES = 4 * 1024 * 1024;
  public static final double DEFAULT_REQUESTS_PER_SECOND = 10_000;
  public static final double DEFAULT_REQUEST_BURST = 20_000;
  public static final int DEFAULT_STREAMS_PER_IDENTITY = 16;
  public static final String DEFAULT_AUDIT_FILE = "hearth-data/audit.log";
  public static final Duration DEFAULT_PREEMPTION_GRACE = Duration.ofSeconds(10);
  public static final double DEFAULT_DISPLACED_HEATING_G_PER_KWH = 252;
  public static final Duration DEFAULT_DONATION_WINDOW = Duration.ofHours(4);
  public static final Duration DEFAULT_THERMAL_PREEMPT_AFTER = Duration.ofSeconds(60);
  public static final Duration DEFAULT_DASHBOARD_REFRESH_INTERVAL = Duration.ofSeconds(2);
  /** As long as Nomad keeps a dead job by default ({@code job_gc_threshold}); 0 keeps every job. */
  public static final Duration DEFAULT_JOBS_RETENTION = Duration.ofHours(4);
  public static final long MAX_JOBS_RETENTION_SECONDS = 365L * 24 * 3600;
  public static final int DEFAULT_CLUSTER_EXPECTED_MEMBERS = 1;
  public static final Duration DEFAULT_CLUSTER_FAILURE_TIMEOUT = Duration.ofSeconds(5);
  public static final String DEFAULT_STORE_TYPE = "journal";
  public static final String DEFAULT_STORE_DATA_DIR = "hearth-data/db";

  /** The durable store every accepted job is written through to. */
  public enum StoreType {
    /** Append-only journal file in {@code store.data-dir}, shared by the members of one host. */
    JOURNAL,
    /** Embedded H2 file database in {@code store.data-dir}, shared by the members of one host. */
    H2,
    /** PostgreSQL at {@code store.jdbc-url}. */
    POSTGRESQL;

    static StoreType parse(String key, String v) {
      return switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
        case "journal" -> JOURNAL;
        case "h2" -> H2;
        case "postgresql" -> POSTGRESQL;
        default -> throw new IllegalArgumentException(key + ": '" + v + "' (expected: journal, h2 or postgresql)");
      };
    }
  }

  /** One setting: its file key, environment variable, default and meaning (the README table). */
  public record Setting(String key, String env, String defaultValue, String meaning) {}

  private static final List<Setting> SETTINGS = List.of(
      new Setting("grpc.host", "HEARTH_GRPC_HOST", DEFAULT_GRPC_HOST, "address the gRPC API binds to"),
      new Setting("grpc.port", "HEARTH_GRPC_PORT", String.valueOf(DEFAULT_GRPC_PORT), "gRPC API port (0 = any free port)"),
      new Setting("grpc.max-inbound-message-bytes", "HEARTH_GRPC_MAX_INBOUND_MESSAGE_BYTES",
          String.valueOf(DEFAULT_MAX_INBOUND_MESSAGE_BYTES), "largest accepted gRPC message, bytes"),
      new Setting("health.port", "HEARTH_HEALTH_PORT", String.valueOf(DEFAULT_HEALTH_PORT),
          "plaintext port on grpc.host serving only grpc.health.v1.Health, for Kubernetes gRPC probes (0 = off)"),
      new Setting("http.host", "HEARTH_HTTP_HOST", DEFAULT_HTTP_HOST, "address the dashboard binds to"),
      new Setting("http.port", "HEARTH_HTTP_PORT", String.valueOf(DEFAULT_HTTP_PORT), "dashboard port (0 = any free port)"),
      new Setting("cluster.name", "HEARTH_CLUSTER_NAME", DEFAULT_CLUSTER_NAME, "Hazelcast cluster name; members with another name never join"),
      new Setting("cluster.host", "HEARTH_CLUSTER_HOST", DEFAULT_CLUSTER_HOST, "interface Hazelcast binds to"),
      new Setting("cluster.port", "HEARTH_CLUSTER_PORT", String.valueOf(DEFAULT_CLUSTER_PORT), "Hazelcast member port"),
      new Setting("cluster.members", "HEARTH_CLUSTER_MEMBERS", DEFAULT_CLUSTER_MEMBERS,
          "comma-separated host:port of the other members (empty = this member alone)"),
      new Setting("cluster.kubernetes-service-dns", "HEARTH_CLUSTER_KUBERNETES_SERVICE_DNS",
          DEFAULT_CLUSTER_KUBERNETES_SERVICE_DNS,
          "Kubernetes headless Service whose DNS records list the members (Hazelcast's kubernetes join, replacing cluster.members; empty = the member list)"),
      new Setting("cluster.expected-members", "HEARTH_CLUSTER_EXPECTED_MEMBERS",
          String.valueOf(DEFAULT_CLUSTER_EXPECTED_MEMBERS),
          "members the cluster is deployed with; job state is writable, and a leader places, only while a majority of them is up"),
      new Setting("cluster.failure-timeout-ms", "HEARTH_CLUSTER_FAILURE_TIMEOUT_MS",
          String.valueOf(DEFAULT_CLUSTER_FAILURE_TIMEOUT.toMillis()),
          "a member silent this long is removed from the cluster (and a lost leader replaced), ms"),
      new Setting("store.type", "HEARTH_STORE_TYPE", DEFAULT_STORE_TYPE,
          "durable store jobs are written through to: journal (append-only file), h2 (embedded file database) or"
              + " postgresql"),
      new Setting("store.data-dir", "HEARTH_STORE_DATA_DIR", DEFAULT_STORE_DATA_DIR,
          "folder of the journal or h2 database; members on one host may share it"),
      new Setting("store.jdbc-url", "HEARTH_STORE_JDBC_URL", "",
          "JDBC URL of the store (required for postgresql; for h2 it overrides store.data-dir)"),
      new Setting("store.user", "HEARTH_STORE_USER", "", "database user of the store"),
      new Setting("store.password", "HEARTH_STORE_PASSWORD", "", "database password of the store"),
      new Setting("node.timeout-ms", "HEARTH_NODE_TIMEOUT_MS", String.valueOf(DEFAULT_NODE_TIMEOUT.toMillis()),
          "a node silent this long is lost and its attempts are requeued, ms"),
      new Setting("logs.fetch-timeout-ms", "HEARTH_LOGS_FETCH_TIMEOUT_MS", String.valueOf(DEFAULT_LOG_FETCH_TIMEOUT.toMillis()),
          "GetJobLogs waits this long for the node's answer to each chunk before UNAVAILABLE, ms"),
      new Setting("node.telemetry-interval-ms", "HEARTH_NODE_TELEMETRY_INTERVAL_MS",
          String.valueOf(DEFAULT_TELEMETRY_INTERVAL.toMillis()), "how often nodes are asked to send telemetry, ms"),
      new Setting("placement.sweep-interval-ms", "HEARTH_PLACEMENT_SWEEP_INTERVAL_MS",
          String.valueOf(DEFAULT_SWEEP_INTERVAL.toMillis()),
          "period of the sweep that retries queued jobs, expires old ones and detects lost nodes, ms"),
      new Setting("placement.min-heat-fraction", "HEARTH_PLACEMENT_MIN_HEAT_FRACTION",
          String.valueOf(DEFAULT_MIN_HEAT_FRACTION),
          "a heater takes a job only if its heat headroom covers this fraction of the job's watts"),
      new Setting("placement.donated-on-datacenter", "HEARTH_PLACEMENT_DONATED_ON_DATACENTER",
          String.valueOf(DEFAULT_DONATED_ON_DATACENTER), "operator policy: may DONATED jobs run on data-center nodes"),
      new Setting("placement.preemption-grace-ms", "HEARTH_PLACEMENT_PREEMPTION_GRACE_MS",
          String.valueOf(DEFAULT_PREEMPTION_GRACE.toMillis()),
          "a preempted process gets SIGTERM, then SIGKILL after this long, ms"),
      new Setting("energy.displaced-heating-g-per-kwh", "HEARTH_ENERGY_DISPLACED_HEATING_G_PER_KWH",
          String.valueOf((long) DEFAULT_DISPLACED_HEATING_G_PER_KWH),
          "gCO2 per kWh of heat that the useful compute heat displaces (gas boiler: 227 g/kWh of gas at 90 % efficiency)"),
      new Setting("quota.running-cores", "HEARTH_QUOTA_RUNNING_CORES", "",
          "running-core quotas, comma-separated owner/TIER=cores (* for any owner or tier); a job over quota waits QUEUED"),
      new Setting("donation.window-seconds", "HEARTH_DONATION_WINDOW_SECONDS",
          String.valueOf(DEFAULT_DONATION_WINDOW.toSeconds()),
          "length of a donation offer's window; grants expire at its end, s"),
      new Setting("donation.node-kinds", "HEARTH_DONATION_NODE_KINDS",
          io.hearth.scheduler.donation.DonationSources.DEFAULT_TEXT,
          "heater kinds whose idle heat headroom is offered to nonprofits: radiator, boiler or radiator,boiler"),
      new Setting("placement.thermal-preempt-after-ms", "HEARTH_PLACEMENT_THERMAL_PREEMPT_AFTER_MS",
          String.valueOf(DEFAULT_THERMAL_PREEMPT_AFTER.toMillis()),
          "a heater that keeps work paused because its room is warm this long loses its lowest-tier attempts to other nodes, ms"),
      new Setting("tls.cert", "HEARTH_TLS_CERT", "", "the scheduler's certificate chain, PEM file (required)"),
      new Setting("tls.key", "HEARTH_TLS_KEY", "", "the scheduler's private key, PKCS#8 PEM file (required)"),
      new Setting("tls.ca", "HEARTH_TLS_CA", "", "the CA that issues client certificates, PEM file (required)"),
      new Setting("limits.requests-per-second", "HEARTH_LIMITS_REQUESTS_PER_SECOND",
          String.valueOf((long) DEFAULT_REQUESTS_PER_SECOND), "requests one identity may make per second (RESOURCE_EXHAUSTED beyond)"),
      new Setting("limits.burst", "HEARTH_LIMITS_BURST", String.valueOf((long) DEFAULT_REQUEST_BURST),
          "requests one identity may make at once above the rate"),
      new Setting("limits.streams-per-identity", "HEARTH_LIMITS_STREAMS_PER_IDENTITY",
          String.valueOf(DEFAULT_STREAMS_PER_IDENTITY), "open streams (WatchJobs, Connect) one identity may hold"),
      new Setting("audit.file", "HEARTH_AUDIT_FILE", DEFAULT_AUDIT_FILE,
          "append-only audit log: one JSON line per submission, cancellation, placement and admin action"),
      new Setting("dashboard.refresh-interval-ms", "HEARTH_DASHBOARD_REFRESH_INTERVAL_MS",
          String.valueOf(DEFAULT_DASHBOARD_REFRESH_INTERVAL.toMillis()),
          "how often the fleet is aggregated for the dashboard's live view and the fleet metrics, ms"),
      new Setting("jobs.retention-seconds", "HEARTH_JOBS_RETENTION_SECONDS", String.valueOf(DEFAULT_JOBS_RETENTION.toSeconds()),
          "an ended job (with its request id; DONATED jobs excepted) is deleted this long after it ended; GetJob"
              + " then answers NOT_FOUND, s (0 = keep every job)"));

  private final String grpcHost;
  private final int grpcPort;
  private final int maxInboundMessageBytes;
  private final String httpHost;
  private final int httpPort;
  private final String clusterName;
  private final String clusterHost;
  private final int clusterPort;
  private final List<String> clusterMembers;
  private final String kubernetesServiceDns;
  private final int healthPort;
  private final Duration nodeTimeout;
  private final Duration logFetchTimeout;
  private final Duration telemetryInterval;
  private final Duration sweepInterval;
  private final double minHeatFraction;
  private final boolean donatedOnDatacenter;
  private final String tlsCert;
  private final String tlsKey;
  private final String tlsCa;
  private final double requestsPerSecond;
  private final double requestBurst;
  private final int streamsPerIdentity;
  private final String auditFile;
  private final Duration preemptionGrace;
  private final double displacedHeatingGramsPerKwh;
  private final String runningCoreQuotas;
  private final Duration donationWindow;
  private final io.hearth.scheduler.donation.DonationSources donationSources;
  private final Duration thermalPreemptAfter;
  private final Duration dashboardRefreshInterval;
  private final Duration jobsRetention;
  private final int expectedMembers;
  private final Duration failureTimeout;
  private final StoreType storeType;
  private final String storeDataDir;
  private final String storeJdbcUrl;
  private final String storeUser;
  private final String storePassword;

  private SchedulerOptions(Builder b) {
    grpcHost = b.grpcHost;
    grpcPort = checkPort("grpc.port", b.grpcPort);
    maxInboundMessageBytes = checkRange("grpc.max-inbound-message-bytes", b.maxInboundMessageBytes, 1024, 64 * 1024 * 1024);
    httpHost = b.httpHost;
    httpPort = checkPort("http.port", b.httpPort);
    clusterName = checkNotBlank("cluster.name", b.clusterName);
    clusterHost = checkNotBlank("cluster.host", b.clusterHost);
    clusterPort = checkPort("cluster.port", b.clusterPort);
    clusterMembers = List.copyOf(b.clusterMembers);
    kubernetesServiceDns = b.kubernetesServiceDns == null ? "" : b.kubernetesServiceDns.trim();
    if (!kubernetesServiceDns.isEmpty() && !clusterMembers.isEmpty()) {
      throw new IllegalArgumentException("cluster.members: '" + String.join(",", clusterMembers)
          + "' (expected: empty when cluster.kubernetes-service-dns is set)");
    }
    healthPort = checkPort("health.port", b.healthPort);
    nodeTimeout = checkDuration("node.timeout-ms", b.nodeTimeout, 100, 3_600_000);
    logFetchTimeout = checkDuration("logs.fetch-timeout-ms", b.logFetchTimeout, 100, 600_000);
    telemetryInterval = checkDuration("node.telemetry-interval-ms", b.telemetryInterval, 10, 600_000);
    sweepInterval = checkDuration("placement.sweep-interval-ms", b.sweepInterval, 10, 60_000);
    if (!(b.minHeatFraction >= 0 && b.minHeatFraction <= 1)) {
      throw new IllegalArgumentException("placement.min-heat-fraction: " + b.minHeatFraction + " (expected: 0..1)");
    }
    minHeatFraction = b.minHeatFraction;
    donatedOnDatacenter = b.donatedOnDatacenter;
    tlsCert = b.tlsCert;
    tlsKey = b.tlsKey;
    tlsCa = b.tlsCa;
    if (!(b.requestsPerSecond >= 1 && b.requestsPerSecond <= 10_000_000)) {
      throw new IllegalArgumentException("limits.requests-per-second: " + b.requestsPerSecond + " (expected: 1..10000000)");
    }
    requestsPerSecond = b.requestsPerSecond;
    if (!(b.requestBurst >= 1 && b.requestBurst <= 100_000_000)) {
      throw new IllegalArgumentException("limits.burst: " + b.requestBurst + " (expected: 1..100000000)");
    }
    requestBurst = b.requestBurst;
    streamsPerIdentity = checkRange("limits.streams-per-identity", b.streamsPerIdentity, 1, 100_000);
    auditFile = checkNotBlank("audit.file", b.auditFile);
    preemptionGrace = checkDuration("placement.preemption-grace-ms", b.preemptionGrace, 0, 3_600_000);
    if (!(b.displacedHeatingGramsPerKwh >= 0 && b.displacedHeatingGramsPerKwh <= 2000)) {
      throw new IllegalArgumentException("energy.displaced-heating-g-per-kwh: " + b.displacedHeatingGramsPerKwh
          + " (expected: 0..2000)");
    }
    displacedHeatingGramsPerKwh = b.displacedHeatingGramsPerKwh;
    io.hearth.scheduler.placement.Quotas.parse(b.runningCoreQuotas);
    runningCoreQuotas = b.runningCoreQuotas == null ? "" : b.runningCoreQuotas;
    thermalPreemptAfter = checkDuration("placement.thermal-preempt-after-ms", b.thermalPreemptAfter, 100, 86_400_000);
    donationWindow = checkSeconds("donation.window-seconds", b.donationWindow, 1, 7L * 24 * 3600);
    donationSources = io.hearth.scheduler.donation.DonationSources.parse(b.donationNodeKinds);
    dashboardRefreshInterval = checkDuration("dashboard.refresh-interval-ms", b.dashboardRefreshInterval, 100, 60_000);
    jobsRetention = checkSeconds("jobs.retention-seconds", b.jobsRetention, 0, MAX_JOBS_RETENTION_SECONDS);
    expectedMembers = checkRange("cluster.expected-members", b.expectedMembers, 1, 99);
    failureTimeout = checkDuration("cluster.failure-timeout-ms", b.failureTimeout, 2_000, 600_000);
    storeType = b.storeType;
    storeDataDir = checkNotBlank("store.data-dir", b.storeDataDir);
    storeJdbcUrl = b.storeJdbcUrl == null ? "" : b.storeJdbcUrl.trim();
    if (storeType == StoreType.POSTGRESQL && !storeJdbcUrl.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException("store.jdbc-url: '" + storeJdbcUrl
          + "' (expected: jdbc:postgresql://HOST:PORT/DATABASE when store.type is postgresql)");
    }
    if (storeType == StoreType.JOURNAL && !storeJdbcUrl.isEmpty()) {
      throw new IllegalArgumentException("store.jdbc-url: '" + storeJdbcUrl + "' (expected: empty when store.type is journal)");
    }
    if (storeType == StoreType.H2 && !storeJdbcUrl.isEmpty() && !storeJdbcUrl.startsWith("jdbc:h2:")) {
      throw new IllegalArgumentException("store.jdbc-url: '" + storeJdbcUrl + "' (expected: empty or jdbc:h2:... when store.type is h2)");
    }
    storeUser = b.storeUser == null ? "" : b.storeUser;
    storePassword = b.storePassword == null ? "" : b.storePassword;
  }

  /** Mutual TLS is not optional: a member refuses to start without its certificate, key and client CA. */
  public void requireTls() {
    checkFile("tls.cert", tlsCert);
    checkFile("tls.key", tlsKey);
    checkFile("tls.ca", tlsCa);
  }

  private static String checkFile(String key, String path) {
    if (path == null || path.isBlank()) {
      throw new IllegalArgumentException(key + ": empty (expected: a PEM file; `java -jar certs/target/hearth-certs-all.jar"
          + " init --dir hearth-data/certs` makes development ones)");
    }
    if (!java.nio.file.Files.isReadable(java.nio.file.Path.of(path))) {
      throw new IllegalArgumentException(key + ": '" + path + "' (expected: a readable PEM file)");
    }
    return path;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The settings table: every key, its environment variable, default and meaning. */
  public static List<Setting> settings() {
    return SETTINGS;
  }

  /**
   * Defaults, then the properties file (when given), then the environment. Unknown keys in the
   * file are refused so a typo never silently keeps a default.
   */
  public static SchedulerOptions load(Path file, Map<String, String> env) {
    Map<String, String> values = new LinkedHashMap<>();
    if (file != null) {
      Properties props = new Properties();
      try (Reader r = Files.newBufferedReader(file)) {
        props.load(r);
      } catch (IOException e) {
        throw new IllegalArgumentException("config file: " + file + " cannot be read (" + e.getMessage() + ")", e);
      }
      for (String key : props.stringPropertyNames()) {
        if (SETTINGS.stream().noneMatch(s -> s.key().equals(key))) {
          throw new IllegalArgumentException("config file " + file + ": unknown key '" + key + "'");
        }
        values.put(key, props.getProperty(key).trim());
      }
    }
    for (Setting s : SETTINGS) {
      String v = env.get(s.env());
      if (v != null && !v.isBlank()) {
        values.put(s.key(), v.trim());
      }
    }
    Builder b = builder();
    for (Map.Entry<String, String> e : values.entrySet()) {
      b.set(e.getKey(), e.getValue());
    }
    return b.build();
  }

  public String grpcHost() { return grpcHost; }
  public int grpcPort() { return grpcPort; }
  public int maxInboundMessageBytes() { return maxInboundMessageBytes; }
  public String httpHost() { return httpHost; }
  public int httpPort() { return httpPort; }
  public String clusterName() { return clusterName; }
  public String clusterHost() { return clusterHost; }
  public int clusterPort() { return clusterPort; }
  public List<String> clusterMembers() { return clusterMembers; }
  /** The headless Service that lists the members in DNS; empty when the member list is used. */
  public String kubernetesServiceDns() { return kubernetesServiceDns; }
  /** Port of the plaintext health service (0 = none). */
  public int healthPort() { return healthPort; }
  public Duration nodeTimeout() { return nodeTimeout; }
  public Duration logFetchTimeout() { return logFetchTimeout; }
  public Duration telemetryInterval() { return telemetryInterval; }
  public Duration sweepInterval() { return sweepInterval; }
  public double minHeatFraction() { return minHeatFraction; }
  public boolean donatedOnDatacenter() { return donatedOnDatacenter; }
  public String tlsCert() { return tlsCert; }
  public String tlsKey() { return tlsKey; }
  public String tlsCa() { return tlsCa; }
  public double requestsPerSecond() { return requestsPerSecond; }
  public double requestBurst() { return requestBurst; }
  public int streamsPerIdentity() { return streamsPerIdentity; }
  public String auditFile() { return auditFile; }
  public Duration preemptionGrace() { return preemptionGrace; }
  public double displacedHeatingGramsPerKwh() { return displacedHeatingGramsPerKwh; }
  public String runningCoreQuotas() { return runningCoreQuotas; }
  public Duration donationWindow() { return donationWindow; }
  public io.hearth.scheduler.donation.DonationSources donationSources() { return donationSources; }
  public Duration thermalPreemptAfter() { return thermalPreemptAfter; }
  public Duration dashboardRefreshInterval() { return dashboardRefreshInterval; }
  /** How long an ended job is kept; zero keeps every job. */
  public Duration jobsRetention() { return jobsRetention; }
  public int expectedMembers() { return expectedMembers; }
  /** Members that must be up for job state to be writable and a leader to place: a majority. */
  public int quorum() { return expectedMembers / 2 + 1; }
  public Duration failureTimeout() { return failureTimeout; }
  public StoreType storeType() { return storeType; }
  public String storeDataDir() { return storeDataDir; }
  public String storeJdbcUrl() { return storeJdbcUrl; }
  public String storeUser() { return storeUser; }
  public String storePassword() { return storePassword; }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.grpcHost = grpcHost;
    b.grpcPort = grpcPort;
    b.maxInboundMessageBytes = maxInboundMessageBytes;
    b.httpHost = httpHost;
    b.httpPort = httpPort;
    b.clusterName = clusterName;
    b.clusterHost = clusterHost;
    b.clusterPort = clusterPort;
    b.clusterMembers = new ArrayList<>(clusterMembers);
    b.kubernetesServiceDns = kubernetesServiceDns;
    b.healthPort = healthPort;
    b.nodeTimeout = nodeTimeout;
    b.logFetchTimeout = logFetchTimeout;
    b.telemetryInterval = telemetryInterval;
    b.sweepInterval = sweepInterval;
    b.minHeatFraction = minHeatFraction;
    b.donatedOnDatacenter = donatedOnDatacenter;
    b.tlsCert = tlsCert;
    b.tlsKey = tlsKey;
    b.tlsCa = tlsCa;
    b.requestsPerSecond = requestsPerSecond;
    b.requestBurst = requestBurst;
    b.streamsPerIdentity = streamsPerIdentity;
    b.auditFile = auditFile;
    b.preemptionGrace = preemptionGrace;
    b.displacedHeatingGramsPerKwh = displacedHeatingGramsPerKwh;
    b.runningCoreQuotas = runningCoreQuotas;
    b.donationWindow = donationWindow;
    b.donationNodeKinds = donationSources.toString();
    b.thermalPreemptAfter = thermalPreemptAfter;
    b.dashboardRefreshInterval = dashboardRefreshInterval;
    b.jobsRetention = jobsRetention;
    b.expectedMembers = expectedMembers;
    b.failureTimeout = failureTimeout;
    b.storeType = storeType;
    b.storeDataDir = storeDataDir;
    b.storeJdbcUrl = storeJdbcUrl;
    b.storeUser = storeUser;
    b.storePassword = storePassword;
    return b;
  }

  private static int checkPort(String key, int port) {
    return checkRange(key, port, 0, 65535);
  }

  private static int checkRange(String key, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(key + ": " + value + " (expected: " + min + ".." + max + ")");
    }
    return value;
  }

  private static Duration checkDuration(String key, Duration d, long minMs, long maxMs) {
    long ms = d.toMillis();
    if (ms < minMs || ms > maxMs) {
      throw new IllegalArgumentException(key + ": " + ms + " (expected: " + minMs + ".." + maxMs + ")");
    }
    return d;
  }

  /** A setting given in whole seconds: its bound is said in seconds too. */
  private static Duration checkSeconds(String key, Duration d, long min, long max) {
    long s = d.getSeconds();
    if (s < min || s > max) {
      throw new IllegalArgumentException(key + ": " + s + " (expected: " + min + ".." + max + ")");
    }
    return d;
  }

  private static String checkNotBlank(String key, String v) {
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException(key + ": empty (expected: a non-empty value)");
    }
    return v;
  }

  /** Mutable builder; {@link #build()} checks every bound. */
  public static final class Builder {
    private String grpcHost = DEFAULT_GRPC_HOST;
    private int grpcPort = DEFAULT_GRPC_PORT;
    private int maxInboundMessageBytes = DEFAULT_MAX_INBOUND_MESSAGE_BYTES;
    private String httpHost = DEFAULT_HTTP_HOST;
    private int httpPort = DEFAULT_HTTP_PORT;
    private String clusterName = DEFAULT_CLUSTER_NAME;
    private String clusterHost = DEFAULT_CLUSTER_HOST;
    private int clusterPort = DEFAULT_CLUSTER_PORT;
    private List<String> clusterMembers = new ArrayList<>();
    private String kubernetesServiceDns = DEFAULT_CLUSTER_KUBERNETES_SERVICE_DNS;
    private int healthPort = DEFAULT_HEALTH_PORT;
    private Duration nodeTimeout = DEFAULT_NODE_TIMEOUT;
    private Duration logFetchTimeout = DEFAULT_LOG_FETCH_TIMEOUT;
    private Duration telemetryInterval = DEFAULT_TELEMETRY_INTERVAL;
    private Duration sweepInterval = DEFAULT_SWEEP_INTERVAL;
    private double minHeatFraction = DEFAULT_MIN_HEAT_FRACTION;
    private boolean donatedOnDatacenter = DEFAULT_DONATED_ON_DATACENTER;
    private String tlsCert = "";
    private String tlsKey = "";
    private String tlsCa = "";
    private double requestsPerSecond = DEFAULT_REQUESTS_PER_SECOND;
    private double requestBurst = DEFAULT_REQUEST_BURST;
    private int streamsPerIdentity = DEFAULT_STREAMS_PER_IDENTITY;
    private String auditFile = DEFAULT_AUDIT_FILE;
    private Duration preemptionGrace = DEFAULT_PREEMPTION_GRACE;
    private double displacedHeatingGramsPerKwh = DEFAULT_DISPLACED_HEATING_G_PER_KWH;
    private String runningCoreQuotas = "";
    private Duration donationWindow = DEFAULT_DONATION_WINDOW;
    private String donationNodeKinds = io.hearth.scheduler.donation.DonationSources.DEFAULT_TEXT;
    private Duration thermalPreemptAfter = DEFAULT_THERMAL_PREEMPT_AFTER;
    private Duration dashboardRefreshInterval = DEFAULT_DASHBOARD_REFRESH_INTERVAL;
    private Duration jobsRetention = DEFAULT_JOBS_RETENTION;
    private int expectedMembers = DEFAULT_CLUSTER_EXPECTED_MEMBERS;
    private Duration failureTimeout = DEFAULT_CLUSTER_FAILURE_TIMEOUT;
    private StoreType storeType = StoreType.JOURNAL;
    private String storeDataDir = DEFAULT_STORE_DATA_DIR;
    private String storeJdbcUrl = "";
    private String storeUser = "";
    private String storePassword = "";

    private Builder() {}

    public Builder grpcHost(String v) { grpcHost = v; return this; }
    public Builder grpcPort(int v) { grpcPort = v; return this; }
    public Builder maxInboundMessageBytes(int v) { maxInboundMessageBytes = v; return this; }
    public Builder httpHost(String v) { httpHost = v; return this; }
    public Builder httpPort(int v) { httpPort = v; return this; }
    public Builder clusterName(String v) { clusterName = v; return this; }
    public Builder clusterHost(String v) { clusterHost = v; return this; }
    public Builder clusterPort(int v) { clusterPort = v; return this; }
    public Builder clusterMembers(List<String> v) { clusterMembers = new ArrayList<>(v); return this; }
    public Builder kubernetesServiceDns(String v) { kubernetesServiceDns = v; return this; }
    public Builder healthPort(int v) { healthPort = v; return this; }
    public Builder nodeTimeout(Duration v) { nodeTimeout = v; return this; }
    public Builder logFetchTimeout(Duration v) { logFetchTimeout = v; return this; }
    public Builder telemetryInterval(Duration v) { telemetryInterval = v; return this; }
    public Builder sweepInterval(Duration v) { sweepInterval = v; return this; }
    public Builder minHeatFraction(double v) { minHeatFraction = v; return this; }
    public Builder donatedOnDatacenter(boolean v) { donatedOnDatacenter = v; return this; }
    /** The server's certificate chain, key and the client CA, PEM files. */
    public Builder tls(String cert, String key, String ca) { tlsCert = cert; tlsKey = key; tlsCa = ca; return this; }
    public Builder requestsPerSecond(double v) { requestsPerSecond = v; return this; }
    public Builder requestBurst(double v) { requestBurst = v; return this; }
    public Builder streamsPerIdentity(int v) { streamsPerIdentity = v; return this; }
    public Builder auditFile(String v) { auditFile = v; return this; }
    public Builder preemptionGrace(Duration v) { preemptionGrace = v; return this; }
    public Builder displacedHeatingGramsPerKwh(double v) { displacedHeatingGramsPerKwh = v; return this; }
    public Builder runningCoreQuotas(String v) { runningCoreQuotas = v; return this; }
    public Builder donationWindow(Duration v) { donationWindow = v; return this; }
    public Builder donationNodeKinds(String v) { donationNodeKinds = v; return this; }
    public Builder thermalPreemptAfter(Duration v) { thermalPreemptAfter = v; return this; }
    public Builder dashboardRefreshInterval(Duration v) { dashboardRefreshInterval = v; return this; }
    public Builder jobsRetention(Duration v) { jobsRetention = v; return this; }
    public Builder expectedMembers(int v) { expectedMembers = v; return this; }
    public Builder failureTimeout(Duration v) { failureTimeout = v; return this; }
    public Builder storeType(StoreType v) { storeType = v; return this; }
    public Builder storeDataDir(String v) { storeDataDir = v; return this; }
    /** A JDBC store: its URL, user and password. */
    public Builder storeJdbc(String url, String user, String password) {
      storeJdbcUrl = url; storeUser = user; storePassword = password; return this;
    }

    /** Sets one setting by its file key, parsing the text; the error names the key. */
    public Builder set(String key, String value) {
      switch (key) {
        case "grpc.host" -> grpcHost = value;
        case "grpc.port" -> grpcPort = parseInt(key, value);
        case "grpc.max-inbound-message-bytes" -> maxInboundMessageBytes = parseInt(key, value);
        case "http.host" -> httpHost = value;
        case "http.port" -> httpPort = parseInt(key, value);
        case "cluster.name" -> clusterName = value;
        case "cluster.host" -> clusterHost = value;
        case "cluster.port" -> clusterPort = parseInt(key, value);
        case "cluster.members" -> clusterMembers = splitList(value);
        case "cluster.kubernetes-service-dns" -> kubernetesServiceDns = value;
        case "health.port" -> healthPort = parseInt(key, value);
        case "node.timeout-ms" -> nodeTimeout = Duration.ofMillis(parseLong(key, value));
        case "logs.fetch-timeout-ms" -> logFetchTimeout = Duration.ofMillis(parseLong(key, value));
        case "node.telemetry-interval-ms" -> telemetryInterval = Duration.ofMillis(parseLong(key, value));
        case "placement.sweep-interval-ms" -> sweepInterval = Duration.ofMillis(parseLong(key, value));
        case "placement.min-heat-fraction" -> minHeatFraction = parse(key, value, Double::parseDouble, "a number");
        case "placement.donated-on-datacenter" -> donatedOnDatacenter = parseBoolean(key, value);
        case "tls.cert" -> tlsCert = value;
        case "tls.key" -> tlsKey = value;
        case "tls.ca" -> tlsCa = value;
        case "limits.requests-per-second" -> requestsPerSecond = parse(key, value, Double::parseDouble, "a number");
        case "limits.burst" -> requestBurst = parse(key, value, Double::parseDouble, "a number");
        case "limits.streams-per-identity" -> streamsPerIdentity = parseInt(key, value);
        case "audit.file" -> auditFile = value;
        case "placement.preemption-grace-ms" -> preemptionGrace = Duration.ofMillis(parseLong(key, value));
        case "quota.running-cores" -> runningCoreQuotas = value;
        case "placement.thermal-preempt-after-ms" -> thermalPreemptAfter = Duration.ofMillis(parseLong(key, value));
        case "donation.window-seconds" -> donationWindow = Duration.ofSeconds(parseLong(key, value));
        case "donation.node-kinds" -> donationNodeKinds = value;
        case "energy.displaced-heating-g-per-kwh" -> displacedHeatingGramsPerKwh = parse(key, value, Double::parseDouble, "a number");
        case "dashboard.refresh-interval-ms" -> dashboardRefreshInterval = Duration.ofMillis(parseLong(key, value));
        case "jobs.retention-seconds" -> jobsRetention = Duration.ofSeconds(parseLong(key, value));
        case "cluster.expected-members" -> expectedMembers = parseInt(key, value);
        case "cluster.failure-timeout-ms" -> failureTimeout = Duration.ofMillis(parseLong(key, value));
        case "store.type" -> storeType = StoreType.parse(key, value);
        case "store.data-dir" -> storeDataDir = value;
        case "store.jdbc-url" -> storeJdbcUrl = value;
        case "store.user" -> storeUser = value;
        case "store.password" -> storePassword = value;
        default -> throw new IllegalArgumentException("unknown setting '" + key + "'");
      }
      return this;
    }

    public SchedulerOptions build() {
      return new SchedulerOptions(this);
    }

    private static List<String> splitList(String value) {
      List<String> out = new ArrayList<>();
      for (String part : value.split(",")) {
        if (!part.isBlank()) {
          out.add(part.trim());
        }
      }
      return Collections.unmodifiableList(out);
    }

    private static int parseInt(String key, String v) {
      return parse(key, v, Integer::parseInt, "an integer");
    }

    private static long parseLong(String key, String v) {
      return parse(key, v, Long::parseLong, "an integer");
    }

    private static boolean parseBoolean(String key, String v) {
      if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
        return Boolean.parseBoolean(v);
      }
      throw new IllegalArgumentException(key + ": '" + v + "' (expected: true or false)");
    }

    private static <T> T parse(String key, String v, Function<String, T> parser, String expected) {
      try {
        return parser.apply(v.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(key + ": '" + v + "' (expected: " + expected + ")", e);
      }
    }
  }
}
