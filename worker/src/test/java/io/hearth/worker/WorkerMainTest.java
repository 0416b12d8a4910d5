package io.hearth.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.hearth.api.v1.Hello;
import io.hearth.api.v1.NodeKind;
import io.hearth.api.v1.SecurityClass;
import io.hearth.worker.agent.TestScheduler;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WorkerMainTest {

  private static String[] runFailing(Map<String, String> env, String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = WorkerMain.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new String[] {Integer.toString(code), err.toString(StandardCharsets.UTF_8).strip()};
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "agent --cores 0                     | --cores: 0 (expected: 1..1024)",
      "agent --cores 2000                  | --cores: 2000 (expected: 1..1024)",
      "agent --cores many                  | --cores: \"many\" (expected: an integer in 1..1024)",
      "agent --memory-mib 0                | --memory-mib: 0 (expected: 1..16777216)",
      "agent --max-watts -5                | --max-watts: -5.0 (expected: 1..1000000)",
      "agent --kind toaster                | --kind: \"toaster\" (expected: radiator, boiler or datacenter)",
      "agent --security-class top          | --security-class: \"top\" (expected: open, sealed, controlled or certified)",
      "agent --scheduler nowhere           | --scheduler: \"nowhere\" (expected: host:port[,host:port...])",
      "agent --scheduler localhost:70000   | --scheduler: port 70000 (expected: 1..65535)",
      "agent --node-id a/b                 | --node-id: \"a/b\" (expected: 1..128 characters of [A-Za-z0-9._-], starting with a letter or digit)",
      "agent --telemetry-interval-ms 1     | --telemetry-interval-ms: 1 (expected: 10..3600000)",
      "agent --cores                       | --cores: missing value",
      "agent --outdoor-c 5 --paris         | --paris: set together with --outdoor-c (expected: one of them)",
      "simulate --count 0                  | --count: 0 (expected: 1..1000000)",
      "simulate --time-scale 0             | --time-scale: 0.0 (expected: 0.001..10000000)",
      "fly                                 | command: \"fly\" (expected: agent or simulate)",
  })
  void badFlagsGiveOneLineNamingTheFlagAndExitCode2(String args, String message) {
    String[] result = runFailing(Map.of(), args.trim().split("\\s+"));
    assertThat(result[0]).isEqualTo("2");
    assertThat(result[1]).isEqualTo(message);
  }

  @Test
  void unknownFlagListsTheKnownOnes() {
    String[] result = runFailing(Map.of(), "agent", "--colour", "red");
    assertThat(result[0]).isEqualTo("2");
    assertThat(result[1]).startsWith("--colour: unknown flag (expected one of: --cancel-grace-ms, --cores,");
    assertThat(result[1]).doesNotContain("\n");
  }

  @Test
  void badEnvironmentVariableIsNamed() {
    String[] result = runFailing(Map.of("HEARTH_CORES", "-1"), "agent");
    assertThat(result[1]).isEqualTo("HEARTH_CORES: -1 (expected: 1..1024)");
  }

  @Test
  void flagsOverrideTheEnvironment(@TempDir Path tls) throws Exception {
    TestScheduler.writeNodeTls(tls, "env-node", "CONTROLLED");
    Hello hello = WorkerMain.parseAgent(List.of("--cores", "3", "--kind", "boiler", "--tls-dir", tls.toString()),
        Map.of("HEARTH_CORES", "2", "HEARTH_NODE_ID", "env-node", "HEARTH_SECURITY_CLASS", "controlled",
            "HEARTH_SCHEDULER", "127.0.0.1:1"))
        .build().hello();
    assertThat(hello.getCores()).isEqualTo(3);
    assertThat(hello.getNodeId()).isEqualTo("env-node");
    assertThat(hello.getKind()).isEqualTo(NodeKind.NODE_KIND_BOILER);
    assertThat(hello.getSecurityClass()).isEqualTo(SecurityClass.SECURITY_CLASS_CONTROLLED);
  }

  @Test
  void helpPrintsUsageAndSucceeds() {
    assertThat(runFailing(Map.of(), "--help")[0]).isEqualTo("0");
    assertThat(runFailing(Map.of())[0]).isEqualTo("2");
  }

  @Test
  void buildersRejectMissingPieces(@TempDir Path ca) {
    assertThatThrownBy(() -> WorkerMain.parseSimulate(List.of("--threads", "1"), Map.of()))
        .hasMessageStartingWith("--ca-dir: missing");
    TestScheduler.CA.save(ca);
    assertThatThrownBy(() -> WorkerMain.parseSimulate(List.of("--threads", "0", "--ca-dir", ca.toString()), Map.of()))
        .hasMessage("--threads: 0 (expected: 1..256)");
  }

  @Test
  void anAgentWithoutCertificatesIsRefusedNamingTheFlag() {
    assertThatThrownBy(() -> WorkerMain.parseAgent(List.of("--node-id", "n1"), Map.of()))
        .hasMessageStartingWith("--tls-dir: missing");
  }

  /** The agent as the scheduler's integration tests use it: a separate JVM, killed with SIGKILL. */
  @Test
  void agentRunsAsItsOwnProcessUntilKilled(@TempDir Path workDir) throws Exception {
    try (TestScheduler scheduler = new TestScheduler(Duration.ofMillis(200)).start()) {
      TestScheduler.writeNodeTls(workDir.resolve("tls"), "proc-1", "CERTIFIED");
      String java = ProcessHandle.current().info().command().orElse("java");
      Process p = new ProcessBuilder(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1",
          "-cp", System.getProperty("java.class.path"), "io.hearth.worker.WorkerMain", "agent",
          "--scheduler", scheduler.target(), "--node-id", "proc-1", "--kind", "datacenter",
          "--security-class", "certified", "--cores", "16", "--work-dir", workDir.toString(),
          "--telemetry-interval-ms", "200", "--tls-dir", workDir.resolve("tls").toString())
          .redirectErrorStream(true)
          .redirectOutput(workDir.resolve("agent.log").toFile())
          .start();
      try {
        await().atMost(Duration.ofSeconds(30)).until(() -> scheduler.latest("proc-1") != null
            && scheduler.latest("proc-1").received.stream().anyMatch(m -> m.hasTelemetry()));
        TestScheduler.Stream s = scheduler.latest("proc-1");
        assertThat(s.identity).isEqualTo("node/proc-1");
        assertThat(s.received.get(0).getHello().getCores()).isEqualTo(16);
        assertThat(p.isAlive()).isTrue();
      } finally {
        p.destroyForcibly();
        p.waitFor();
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> scheduler.latest("proc-1").ended);
    }
  }
}
