package io.hearth.dev;

import io.hearth.scheduler.HearthScheduler;
import io.hearth.scheduler.config.SchedulerOptions;
import io.hearth.worker.sim.FleetSimulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Hearth on one machine for development: one scheduler member with embedded Hazelcast and a
 * simulated fleet of real node agents over the real protocol, in one JVM. Jobs run as real OS
 * processes under the work directory. {@code submit} and {@code get} are a tiny client for a
 * first job from another terminal.
 *
 * <pre>
 *   java -jar dev/target/hearth-dev.jar [--nodes 300] [--seed 1] [--outdoor-c 5] [--time-scale 1]
 *   java -jar dev/target/hearth-dev.jar submit [--tenant acme] [--cores 1] -- echo hello
 *   java -jar dev/target/hearth-dev.jar get JOB_ID
 * </pre>
 */
public final class DevMain {

  public static final int DEFAULT_NODES = 300;

  private DevMain() {}

  public static void main(String[] args) throws Exception {
    int code;
    try {
      if (args.length > 0 && args[0].equals("submit")) {
        code = DevClient.submit(Arrays.copyOfRange(args, 1, args.length));
      } else if (args.length > 0 && args[0].equals("get")) {
        code = DevClient.get(Arrays.copyOfRange(args, 1, args.length));
      } else if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
        System.out.println(usage());
        code = 0;
      } else {
        run(args);
        code = 0;
      }
    } catch (IllegalArgumentException e) {
      System.err.println("hearth-dev: " + e.getMessage());
      System.err.println(usage());
      code = 2;
    }
    System.exit(code);
  }

  static String usage() {
    return """
        usage:
          hearth-dev [--nodes N] [--seed S] [--outdoor-c C] [--time-scale X]
              N: simulated nodes, 1..10000 (default 300); C: constant outdoor temperature -60..60
              (default: Paris normals for today's date); X: simulated seconds per real second
              0.001..100000 (default 1). Scheduler settings come from HEARTH_* variables (README).
          hearth-dev submit [--scheduler HOST:PORT] [--tenant ID] [--certs DIR] [--cores N] [--wait-s S] -- ARGV...
          hearth-dev get [--scheduler HOST:PORT] [--tenant ID] [--certs DIR] JOB_ID
              (--certs: the dev CA folder, default hearth-data/certs; a tenant's certificate is issued on first use)""";
  }

  private static void run(String[] args) throws Exception {
    Map<String, String> flags = flags(args, List.of("--nodes", "--seed", "--outdoor-c", "--time-scale"));
    int nodes = DevClient.intFlag(flags, "--nodes", DEFAULT_NODES, 1, 10_000);
    long seed = DevClient.intFlag(flags, "--seed", 1, Integer.MIN_VALUE, Integer.MAX_VALUE);
    double timeScale = DevClient.doubleFlag(flags, "--time-scale", 1, 0.001, 100_000);
    // Mutual TLS is on in dev mode too: a development CA and certificates under hearth-data/certs.
    Path certs = Path.of(DevClient.DEFAULT_CERTS);
    System.out.println(io.hearth.certs.CertsMain.init(certs));
    io.hearth.certs.DevCa ca = io.hearth.certs.DevCa.load(certs);
    Map<String, String> env = new HashMap<>(System.getenv());
    env.putIfAbsent("HEARTH_TLS_CERT", certs.resolve("scheduler.pem").toString());
    env.putIfAbsent("HEARTH_TLS_KEY", certs.resolve("scheduler-key.pem").toString());
    env.putIfAbsent("HEARTH_TLS_CA", certs.resolve(io.hearth.certs.DevCa.CA_CERT).toString());
    SchedulerOptions options = SchedulerOptions.load(null, env);

    HearthScheduler scheduler = HearthScheduler.start(options);
    Path work = Files.createTempDirectory("hearth-dev-");
    FleetSimulator.Builder fleet = FleetSimulator.builder()
        .scheduler("127.0.0.1:" + scheduler.grpcPort())
        .count(nodes)
        .seed(seed)
        .timeScale(timeScale)
        .workDir(work)
        .telemetryInterval(Duration.ofSeconds(2))
        .credentials((nodeId, cls) -> {
          io.hearth.certs.DevCa.Issued issued = ca.issueClient("node", nodeId, cls.name().substring("SECURITY_CLASS_".length()));
          return io.hearth.worker.agent.Tls.fromPem(issued.certificatePem(), issued.keyPem(), issued.caPem());
        });
    if (flags.containsKey("--outdoor-c")) {
      fleet.outdoorC(DevClient.doubleFlag(flags, "--outdoor-c", 5, -60, 60));
    } else {
      fleet.parisNormals();
    }
    FleetSimulator simulator = fleet.build().start();

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      simulator.close();
      scheduler.close();
      stopped.countDown();
    }, "hearth-dev-shutdown"));
    System.out.printf("""

        Hearth dev mode: %d simulated nodes (jobs run as real processes under %s)
          gRPC API   127.0.0.1:%d   (mutual TLS; certificates in %s; reflection and health on)
          dashboard  https://127.0.0.1:%d/  (import %s/operator-ops.p12, password "hearth", into your browser)
          first job  cli/bin/hearth submit --wait -- echo hello   (the hearth CLI; see README)
        Ctrl-C stops everything.

        """, nodes, work, scheduler.grpcPort(), certs.toAbsolutePath(), scheduler.httpPort(), certs.toAbsolutePath());
    stopped.await();
  }

  /** Parses {@code --flag value} pairs, refusing unknown flags by name. */
  static Map<String, String> flags(String[] args, List<String> known) {
    Map<String, String> out = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!known.contains(a)) {
        throw new IllegalArgumentException("unknown argument '" + a + "' (expected one of " + known + ")");
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(a + ": missing value");
      }
      out.put(a, args[++i]);
    }
    return out;
  }
}
