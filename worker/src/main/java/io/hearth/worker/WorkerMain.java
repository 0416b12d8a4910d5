package io.hearth.worker;

import io.hearth.api.v1.NodeKind;
import io.hearth.api.v1.SecurityClass;
import io.hearth.worker.agent.NodeAgent;
import io.hearth.worker.agent.SecretStore;
import io.hearth.worker.agent.Tls;
import io.hearth.worker.sim.FleetSimulator;
import io.hearth.worker.thermal.OutdoorTemperature;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Command line entry point: {@code agent} runs one node agent until killed, {@code simulate} runs a
 * fleet. Every flag {@code --some-flag} may also come from the environment variable
 * {@code HEARTH_SOME_FLAG}; a flag wins over the environment. A bad value ends the program with
 * exit code 2 and one line naming the flag and the bound, e.g. {@code --cores: 0 (expected: 1..1024)}.
 */
public final class WorkerMain {
  private static final Logger log = LoggerFactory.getLogger(WorkerMain.class);

  public static final String DEFAULT_SCHEDULER = "127.0.0.1:7070";
  static final int EXIT_USAGE = 2;

  static final Set<String> AGENT_FLAGS = Set.of("--scheduler", "--node-id", "--kind",
      "--security-class", "--cores", "--memory-mib", "--max-watts", "--watts-per-core", "--site",
      "--region", "--work-dir", "--outdoor-c", "--paris", "--time-scale", "--telemetry-interval-ms",
      "--cancel-grace-ms", "--tls-dir", "--secrets-dir", "--log-retention-hours", "--log-max-mib");
  static final Set<String> SIMULATE_FLAGS = Set.of("--scheduler", "--count", "--seed", "--outdoor-c",
      "--paris", "--time-scale", "--work-dir", "--telemetry-interval-ms", "--threads", "--ca-dir");
  static final Set<String> SWITCHES = Set.of("--paris");

  private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):(\\d{1,5})");

  static final String USAGE = String.join("\n",
      "usage: hearth-worker agent [--scheduler host:port] [--node-id ID] [--kind radiator|boiler|datacenter]",
      "                           [--security-class open|sealed|controlled|certified] [--cores N]",
      "                           [--memory-mib N] [--max-watts W] [--watts-per-core W] [--site S]",
      "                           [--region R] [--work-dir DIR] [--outdoor-c C | --paris]",
      "                           [--time-scale X] [--telemetry-interval-ms MS] [--cancel-grace-ms MS]",
      "                           [--log-retention-hours H] [--log-max-mib N] --tls-dir DIR [--secrets-dir DIR]",
      "           (attempt logs: first and last 4 MiB of each stream; those of attempts ended more than",
      "            --log-retention-hours ago (default 168) are deleted, then the oldest beyond --log-max-mib (default 1024))",
      "           (--tls-dir holds ca.pem and node-ID.pem/node-ID-key.pem from hearth-certs issue --role node)",
      "       hearth-worker simulate [--scheduler host:port] [--count N] [--seed N] [--outdoor-c C | --paris]",
      "                           [--time-scale X] [--work-dir DIR] [--telemetry-interval-ms MS] [--threads N]",
      "                           --ca-dir DIR   (a development CA from hearth-certs init: issues each node's certificate)",
      "Every --flag may also be set as the environment variable HEARTH_FLAG (e.g. HEARTH_SCHEDULER).");

  private WorkerMain() {}

  public static void main(String[] args) {
    int code = run(args, System.getenv(), System.out, System.err);
    System.exit(code);
  }

  /** Runs a command; returns the exit code (agent and simulate return only when interrupted). */
  static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
      (args.length == 0 ? err : out).println(USAGE);
      return args.length == 0 ? EXIT_USAGE : 0;
    }
    List<String> rest = List.of(args).subList(1, args.length);
    try {
      switch (args[0]) {
        case "agent":
          if (rest.contains("--help")) {
            out.println(USAGE);
            return 0;
          }
          return runAgent(parseAgent(rest, env));
        case "simulate":
          if (rest.contains("--help")) {
            out.println(USAGE);
            return 0;
          }
          return runFleet(parseSimulate(rest, env));
        default:
          err.println("command: \"" + args[0] + "\" (expected: agent or simulate)");
          return EXIT_USAGE;
      }
    } catch (IllegalArgumentException e) {
      err.println(e.getMessage());
      return EXIT_USAGE;
    }
  }

  // ---- agent --------------------------------------------------------------------------------

  static NodeAgent.Builder parseAgent(List<String> args, Map<String, String> env) {
    Options o = new Options(args, env, AGENT_FLAGS);
    String nodeId = o.nodeId("--node-id", defaultNodeId());
    NodeAgent.Builder b = NodeAgent.builder()
        .scheduler(o.hostPort("--scheduler", DEFAULT_SCHEDULER))
        .nodeId(nodeId)
        .kind(o.kind("--kind", NodeKind.NODE_KIND_RADIATOR))
        .securityClass(o.securityClass("--security-class", SecurityClass.SECURITY_CLASS_SEALED))
        .cores(o.integer("--cores", 4, 1, 1024))
        .memoryMib(o.longInt("--memory-mib", 8192, 1, 16_777_216))
        .maxWatts(o.decimal("--max-watts", 600, 1, 1_000_000))
        .wattsPerCore(o.decimal("--watts-per-core", 150, 1, 10_000))
        .site(o.text("--site", "dev", 0, 128))
        .region(o.text("--region", "fr-paris", 0, 64))
        .workDir(Path.of(o.text("--work-dir",
            Path.of(System.getProperty("java.io.tmpdir"), "hearth-worker", nodeId).toString(), 1, 4096)))
        .outdoor(o.outdoor())
        .timeScale(o.decimal("--time-scale", 1, 0.001, 1e7))
        .telemetryInterval(Duration.ofMillis(o.integer("--telemetry-interval-ms", 5000, 10, 3_600_000)))
        .cancelGrace(Duration.ofMillis(o.integer("--cancel-grace-ms", 5000, 0, 3_600_000)))
        .logRetention(Duration.ofHours(o.integer("--log-retention-hours", 168, 1, 87_600)))
        .logMaxTotalBytes(o.longInt("--log-max-mib", 1024, 1, 16_777_216) * 1024 * 1024);
    String tlsDir = o.text("--tls-dir", "", 0, 4096);
    if (tlsDir.isEmpty()) {
      throw new IllegalArgumentException("--tls-dir: missing (expected: a folder with ca.pem and node-" + nodeId
          + ".pem from hearth-certs issue --role node --id " + nodeId + ")");
    }
    b.credentials(Tls.fromDirectory(Path.of(tlsDir), "node-" + nodeId));
    String secretsDir = o.text("--secrets-dir", "", 0, 4096);
    if (!secretsDir.isEmpty()) {
      if (!java.nio.file.Files.isDirectory(Path.of(secretsDir))) {
        throw new IllegalArgumentException("--secrets-dir: '" + secretsDir + "' (expected: a folder, one file per secret key)");
      }
      b.secrets(SecretStore.directory(Path.of(secretsDir)));
    }
    return b;
  }

  private static int runAgent(NodeAgent.Builder builder) {
    NodeAgent agent = builder.build();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      agent.close();
      stopped.countDown();
    }, "hearth-agent-shutdown"));
    log.info("node {} ({}, {} cores) starting", agent.nodeId(), agent.hello().getKind(),
        agent.hello().getCores());
    agent.start();
    return await(stopped);
  }

  // ---- simulate -----------------------------------------------------------------------------

  static FleetSimulator.Builder parseSimulate(List<String> args, Map<String, String> env) {
    Options o = new Options(args, env, SIMULATE_FLAGS);
    FleetSimulator.Builder fleet = FleetSimulator.builder()
        .scheduler(o.hostPort("--scheduler", DEFAULT_SCHEDULER))
        .count(o.integer("--count", 100, 1, 1_000_000))
        .seed(o.longInt("--seed", 1, Long.MIN_VALUE, Long.MAX_VALUE))
        .outdoor(o.outdoor())
        .timeScale(o.decimal("--time-scale", 1, 0.001, 1e7))
        .workDir(Path.of(o.text("--work-dir",
            Path.of(System.getProperty("java.io.tmpdir"), "hearth-fleet").toString(), 1, 4096)))
        .telemetryInterval(Duration.ofMillis(o.integer("--telemetry-interval-ms", 5000, 10, 3_600_000)))
        .threads(o.integer("--threads", 2, 1, 256));
    String caDir = o.text("--ca-dir", "", 0, 4096);
    if (caDir.isEmpty()) {
      throw new IllegalArgumentException("--ca-dir: missing (expected: a development CA folder from hearth-certs init)");
    }
    io.hearth.certs.DevCa ca;
    try {
      ca = io.hearth.certs.DevCa.load(Path.of(caDir));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("--ca-dir: '" + caDir + "' (expected: ca.pem and ca-key.pem from hearth-certs init)");
    }
    return fleet.credentials((nodeId, cls) -> {
      io.hearth.certs.DevCa.Issued issued = ca.issueClient("node", nodeId, cls.name().substring("SECURITY_CLASS_".length()));
      return Tls.fromPem(issued.certificatePem(), issued.keyPem(), issued.caPem());
    });
  }

  private static int runFleet(FleetSimulator.Builder builder) {
    FleetSimulator fleet = builder.build();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      fleet.close();
      stopped.countDown();
    }, "hearth-fleet-shutdown"));
    fleet.start();
    ScheduledExecutorService status = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "hearth-fleet-status");
      t.setDaemon(true);
      return t;
    });
    status.scheduleAtFixedRate(() -> log.info("fleet: {}/{} connected, {} attempts running, {} ended",
        fleet.connectedCount(), fleet.size(),
        fleet.agents().stream().mapToInt(a -> a.runningAttempts().size()).sum(),
        fleet.agents().stream().mapToInt(a -> a.completedAttempts().size()).sum()),
        10, 10, TimeUnit.SECONDS);
    return await(stopped);
  }

  private static int await(CountDownLatch stopped) {
    try {
      stopped.await();
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  private static String defaultNodeId() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      host = "localhost";
    }
    String id = ("node-" + host).replaceAll("[^A-Za-z0-9._-]", "-");
    return id.length() > 128 ? id.substring(0, 128) : id;
  }

  // ---- option parsing -----------------------------------------------------------------------

  /** Flags from the command line, falling back to HEARTH_* environment variables. */
  static final class Options {
    private final Map<String, String> values = new LinkedHashMap<>();
    private final Map<String, String> env;

    Options(List<String> args, Map<String, String> env, Set<String> allowed) {
      this.env = env;
      for (int i = 0; i < args.size(); i++) {
        String a = args.get(i);
        String name = a;
        String value = null;
        int eq = a.indexOf('=');
        if (a.startsWith("--") && eq > 0) {
          name = a.substring(0, eq);
          value = a.substring(eq + 1);
        }
        if (!allowed.contains(name)) {
          List<String> sorted = new ArrayList<>(allowed);
          sorted.sort(null);
          throw new IllegalArgumentException(
              (a.startsWith("-") ? name + ": unknown flag" : "\"" + a + "\": unexpected argument")
                  + " (expected one of: " + String.join(", ", sorted) + ")");
        }
        if (SWITCHES.contains(name)) {
          values.put(name, value == null ? "true" : value);
          continue;
        }
        if (value == null) {
          if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) {
            throw new IllegalArgumentException(name + ": missing value");
          }
          value = args.get(++i);
        }
        values.put(name, value);
      }
    }

    static String envName(String flag) {
      return "HEARTH_" + flag.substring(2).replace('-', '_').toUpperCase(Locale.ROOT);
    }

    /** The raw value and the name to blame for it (the flag or the environment variable). */
    private String[] raw(String flag) {
      String v = values.get(flag);
      if (v != null) {
        return new String[] {flag, v};
      }
      String e = env.get(envName(flag));
      if (e != null && !e.isEmpty()) {
        return new String[] {envName(flag), e};
      }
      return null;
    }

    int integer(String flag, int dflt, int min, int max) {
      return (int) longInt(flag, dflt, min, max);
    }

    long longInt(String flag, long dflt, long min, long max) {
      String[] r = raw(flag);
      if (r == null) {
        return dflt;
      }
      long v;
      try {
        v = Long.parseLong(r[1].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(r[0] + ": \"" + r[1] + "\" (expected: an integer in " + min + ".." + max + ")");
      }
      return Check.longIn(r[0], v, min, max);
    }

    double decimal(String flag, double dflt, double min, double max) {
      String[] r = raw(flag);
      if (r == null) {
        return dflt;
      }
      double v;
      try {
        v = Double.parseDouble(r[1].trim());
      } catch (NumberFormatException e) {
        v = Double.NaN;
      }
      if (Double.isNaN(v)) {
        throw new IllegalArgumentException(r[0] + ": \"" + r[1] + "\" (expected: a number in "
            + Check.fmt(min) + ".." + Check.fmt(max) + ")");
      }
      return Check.doubleIn(r[0], v, min, max);
    }

    String text(String flag, String dflt, int minLength, int maxLength) {
      String[] r = raw(flag);
      return r == null ? dflt : Check.text(r[0], r[1], minLength, maxLength);
    }

    String nodeId(String flag, String dflt) {
      String[] r = raw(flag);
      return r == null ? dflt : Check.nodeId(r[0], r[1]);
    }

    String hostPort(String flag, String dflt) {
      String[] r = raw(flag);
      if (r == null) {
        return dflt;
      }
      // A cluster's members may be listed: host:port,host:port (the agent reconnects to any).
      for (String one : r[1].split(",", -1)) {
        Matcher m = HOST_PORT.matcher(one.trim());
        if (!m.matches()) {
          throw new IllegalArgumentException(r[0] + ": \"" + r[1] + "\" (expected: host:port[,host:port...])");
        }
        int port = Integer.parseInt(m.group(2));
        if (port < 1 || port > 65535) {
          throw new IllegalArgumentException(r[0] + ": port " + port + " (expected: 1..65535)");
        }
      }
      return r[1];
    }

    NodeKind kind(String flag, NodeKind dflt) {
      String[] r = raw(flag);
      if (r == null) {
        return dflt;
      }
      String v = r[1].trim().toUpperCase(Locale.ROOT).replaceFirst("^NODE_KIND_", "").replace("-", "");
      switch (v) {
        case "RADIATOR":
          return NodeKind.NODE_KIND_RADIATOR;
        case "BOILER":
          return NodeKind.NODE_KIND_BOILER;
        case "DATACENTER":
          return NodeKind.NODE_KIND_DATACENTER;
        default:
          throw new IllegalArgumentException(r[0] + ": \"" + r[1] + "\" (expected: radiator, boiler or datacenter)");
      }
    }

    SecurityClass securityClass(String flag, SecurityClass dflt) {
      String[] r = raw(flag);
      if (r == null) {
        return dflt;
      }
      String v = r[1].trim().toUpperCase(Locale.ROOT).replaceFirst("^SECURITY_CLASS_", "");
      switch (v) {
        case "OPEN":
          return SecurityClass.SECURITY_CLASS_OPEN;
        case "SEALED":
          return SecurityClass.SECURITY_CLASS_SEALED;
        case "CONTROLLED":
          return SecurityClass.SECURITY_CLASS_CONTROLLED;
        case "CERTIFIED":
          return SecurityClass.SECURITY_CLASS_CERTIFIED;
        default:
          throw new IllegalArgumentException(
              r[0] + ": \"" + r[1] + "\" (expected: open, sealed, controlled or certified)");
      }
    }

    boolean flag(String flag) {
      String[] r = raw(flag);
      if (r == null) {
        return false;
      }
      String v = r[1].trim().toLowerCase(Locale.ROOT);
      if (v.equals("true") || v.equals("1") || v.equals("yes")) {
        return true;
      }
      if (v.equals("false") || v.equals("0") || v.equals("no")) {
        return false;
      }
      throw new IllegalArgumentException(r[0] + ": \"" + r[1] + "\" (expected: true or false)");
    }

    /** --paris or --outdoor-c C (default 5 C); both at once is an error. */
    OutdoorTemperature outdoor() {
      boolean paris = flag("--paris");
      String[] constant = raw("--outdoor-c");
      if (paris && constant != null) {
        throw new IllegalArgumentException("--paris: set together with " + constant[0] + " (expected: one of them)");
      }
      if (paris) {
        return OutdoorTemperature.parisNormals();
      }
      return OutdoorTemperature.constant(decimal("--outdoor-c", 5, -60, 60));
    }
  }
}
