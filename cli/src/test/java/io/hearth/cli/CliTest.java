package io.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI refusing bad flags and files before anything is sent, and its completion script. */
class CliTest {

  @TempDir
  Path dir;

  private DevHearth.Run hearth(String... args) {
    io.hearth.certs.CertsMain.init(dir.resolve("certs"));
    return DevHearth.run(Map.of("HEARTH_TLS_DIR", dir.resolve("certs").toString(), "HEARTH_SCHEDULER", "127.0.0.1:1"), args);
  }

  private Path file(String name, String text) throws IOException {
    return Files.writeString(dir.resolve(name), text);
  }

  @Test
  void aFlagOutOfBoundsIsNamedWithItsBound() {
    DevHearth.Run r = hearth("submit", "--cores", "0", "--memory-mib", "0", "--", "echo", "hi");
    assertThat(r.code()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(r.err()).contains("--cores: 0 (expected: 1..256)").contains("--memory-mib: 0 (expected: 1..1048576)");
  }

  @Test
  void anUnknownFlagOrAMissingCommandIsAUsageError() {
    DevHearth.Run unknown = hearth("submit", "--coers", "2", "--", "echo");
    assertThat(unknown.code()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(unknown.err()).contains("Unknown option: '--coers'");
    DevHearth.Run missing = hearth("submit", "--cores", "2");
    assertThat(missing.code()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(missing.err()).contains("COMMAND: missing");
    DevHearth.Run badTier = hearth("submit", "--tier", "GOLD", "--", "echo");
    assertThat(badTier.err()).contains("--tier: 'GOLD' (expected one of: RESERVED, ON_DEMAND, FLEX, DONATED)");
  }

  @Test
  void aBadFileIsRefusedNamingTheFileTheJobAndTheField() throws IOException {
    Path f = file("pipeline.yaml", """
        jobs:
          - name: prepare
            command: [echo, prepare]
          - name: simulate
            command: [echo, simulate]
            cores: 0
            instances: 20000
            max_runtime: forever
            colour: blue
          - name: simulate
            command: echo again
        """);
    DevHearth.Run r = hearth("submit", "-f", f.toString());
    assertThat(r.code()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(r.err())
        .contains("pipeline.yaml: jobs[1].cores: 0 (expected: 1..256)")
        .contains("pipeline.yaml: jobs[1].instances: 20000 (expected: 1..10000)")
        .contains("pipeline.yaml: jobs[1].max_runtime: 'forever' (expected: a duration like 90s, 30m, 1h, 2d)")
        .contains("pipeline.yaml: jobs[1].colour: unknown field")
        .contains("pipeline.yaml: jobs[2].name: 'simulate' is taken by an earlier job");
  }

  @Test
  void aJsonFileIsReadLikeYamlAndItsErrorsNamed() throws IOException {
    Path f = file("job.json", "{\"name\": \"x\", \"command\": [\"echo\"], \"tier\": \"SOMETIMES\", \"memory_mib\": \"lots\"}");
    DevHearth.Run r = hearth("submit", "--file", f.toString());
    assertThat(r.code()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(r.err()).contains("job.json: tier: 'SOMETIMES' (expected one of: RESERVED, ON_DEMAND, FLEX, DONATED)")
        .contains("job.json: memory_mib: 'lots' (expected: an integer)");
    Path broken = file("broken.json", "{\"name\": ");
    assertThat(hearth("submit", "-f", broken.toString()).err()).contains("broken.json: not valid YAML or JSON");
    assertThat(hearth("submit", "-f", dir.resolve("absent.yaml").toString()).err()).contains("absent.yaml: cannot be read");
  }

  @Test
  void flagsShapingAJobAreRefusedBesideAFile() throws IOException {
    Path f = file("one.yaml", "command: [echo, hi]\n");
    DevHearth.Run r = hearth("submit", "-f", f.toString(), "--cores", "2");
    assertThat(r.code()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(r.err()).contains("--cores: not allowed with --file");
  }

  @Test
  void aMissingCertificateFolderIsNamed() {
    DevHearth.Run r = DevHearth.run(Map.of("HEARTH_TLS_DIR", dir.resolve("nowhere").toString()), "list");
    assertThat(r.code()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(r.err()).contains("--tls-dir: '" + dir.resolve("nowhere") + "' has no ca.pem");
  }

  @Test
  void anUnreachableSchedulerIsUnavailable() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    DevHearth.Run r = hearth("get", "--scheduler", "127.0.0.1:" + port, "--retry-for", "1s", "some-job");
    assertThat(r.code()).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(r.err()).startsWith("hearth: UNAVAILABLE");
  }

  @Test
  void theCompletionScriptCoversEveryCommand() {
    DevHearth.Run r = hearth("completion");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("complete -F").contains("submit").contains("watch").contains("logs").contains("--tls-dir");
  }

  @Test
  void theExampleFilesOfTheReadmeAreValid() {
    List<JobFile.Entry> pipeline = JobFile.read(Path.of("examples/pipeline.yaml"), "r1");
    assertThat(pipeline).extracting(JobFile.Entry::name).containsExactly("prepare", "price", "report");
    assertThat(pipeline.get(1).spec().getInstances()).isEqualTo(100);
    assertThat(pipeline.get(2).spec().getDependsOn(0).getRequestId()).isEqualTo("r1/price");
    List<JobFile.Entry> one = JobFile.read(Path.of("examples/job.json"), "r2");
    assertThat(one).singleElement().satisfies(e -> {
      assertThat(e.spec().getRequestId()).isEqualTo("r2");
      assertThat(e.spec().getMaxRuntime().getSeconds()).isEqualTo(1800);
      assertThat(e.spec().getLabelsMap()).containsEntry("desk", "rates");
    });
  }

  @Test
  void helpListsTheExitCodes() {
    DevHearth.Run r = hearth("--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("Exit codes: 0 ok, 1 a job failed, 2 bad flags or input");
  }
}
