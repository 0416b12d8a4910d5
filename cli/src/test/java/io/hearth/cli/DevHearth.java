package io.hearth.cli;

import io.hearth.api.v1.NodeKind;
import io.hearth.api.v1.SecurityClass;
import io.hearth.certs.CertsMain;
import io.hearth.certs.DevCa;
import io.hearth.scheduler.HearthScheduler;
import io.hearth.scheduler.config.SchedulerOptions;
import io.hearth.worker.agent.NodeAgent;
import io.hearth.worker.agent.Tls;
import io.hearth.worker.thermal.NoHeat;
import io.hearth.worker.thermal.OutdoorTemperature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Dev mode in miniature for the CLI's tests: the certificate folder dev mode writes
 * ({@code hearth certs init}), one real scheduler member on free loopback ports with mutual TLS,
 * and real node agents (data-center machines) that run jobs as OS processes. {@link #hearth}
 * runs the CLI's main entry with HEARTH_SCHEDULER and HEARTH_TLS_DIR pointing here.
 */
final class DevHearth implements AutoCloseable {

  final Path dir;
  final Path certs;
  final HearthScheduler scheduler;
  private final List<NodeAgent> agents = new ArrayList<>();

  private DevHearth(Path dir, HearthScheduler scheduler) {
    this.dir = dir;
    this.certs = dir.resolve("certs");
    this.scheduler = scheduler;
  }

  /** A scheduler and {@code nodes} data-center nodes of {@code cores} cores each. */
  static DevHearth start(int nodes, int cores) {
    try {
      Path dir = Files.createTempDirectory("hearth-cli-");
      Path certs = dir.resolve("certs");
      CertsMain.init(certs);
      HearthScheduler scheduler = HearthScheduler.start(SchedulerOptions.builder()
          .grpcHost("127.0.0.1")
          .grpcPort(0)
          .httpHost("127.0.0.1")
          .httpPort(0)
          .clusterName("hearth-cli-" + UUID.randomUUID())
          .clusterHost("127.0.0.1")
          .clusterPort(15701)
          .nodeTimeout(Duration.ofSeconds(3))
          .telemetryInterval(Duration.ofMillis(200))
          .sweepInterval(Duration.ofMillis(200))
          .tls(certs.resolve("scheduler.pem").toString(), certs.resolve("scheduler-key.pem").toString(),
              certs.resolve(DevCa.CA_CERT).toString())
          .auditFile(dir.resolve("audit.log").toString())
          .storeDataDir(dir.resolve("db").toString())
          .build());
      DevHearth hearth = new DevHearth(dir, scheduler);
      DevCa ca = DevCa.load(certs);
      for (int i = 0; i < nodes; i++) {
        String id = "dc-" + i;
        DevCa.Issued issued = ca.issueClient("node", id, "CERTIFIED");
        hearth.agents.add(NodeAgent.builder()
            .scheduler("127.0.0.1", scheduler.grpcPort())
            .nodeId(id)
            .credentials(Tls.fromPem(issued.certificatePem(), issued.keyPem(), issued.caPem()))
            .workDir(dir.resolve("nodes").resolve(id))
            .telemetryInterval(Duration.ofMillis(200))
            .cancelGrace(Duration.ofSeconds(2))
            .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
            .kind(NodeKind.NODE_KIND_DATACENTER)
            .securityClass(SecurityClass.SECURITY_CLASS_CERTIFIED)
            .cores(cores)
            .memoryMib(65536)
            .maxWatts(cores * 20.0)
            .wattsPerCore(20)
            .thermostat(new NoHeat(OutdoorTemperature.constant(15)))
            .build()
            .start());
      }
      return hearth;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String target() {
    return "127.0.0.1:" + scheduler.grpcPort();
  }

  /** What one run of the CLI printed and returned. */
  record Run(int code, String out, String err) {}

  /** Runs {@code hearth ARGS} against this cluster. */
  Run hearth(String... args) {
    Map<String, String> env = new HashMap<>();
    env.put("HEARTH_SCHEDULER", target());
    env.put("HEARTH_TLS_DIR", certs.toString());
    return run(env, args);
  }

  /** Runs {@code hearth ARGS} with exactly {@code env}. */
  static Run run(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Hearth.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Writes a job file into this cluster's folder. */
  Path file(String name, String text) {
    try {
      return Files.writeString(dir.resolve(name), text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    agents.forEach(NodeAgent::close);
    scheduler.close();
  }
}
