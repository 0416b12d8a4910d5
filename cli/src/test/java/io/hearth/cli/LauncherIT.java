package io.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The packaged CLI as users run it: bin/hearth starting target/hearth.jar in its own JVM. */
class LauncherIT {

  record Result(int code, String out, String err) {}

  private static Result hearth(String... args) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of(Path.of("bin/hearth").toAbsolutePath().toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("HEARTH_TLS_DIR", Path.of("target/no-certs-here").toAbsolutePath().toString());
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
  }

  @Test
  void theLauncherRunsTheJarAndPassesTheExitCodeOn() throws Exception {
    Result version = hearth("--version");
    assertThat(version.code()).isZero();
    assertThat(version.out()).contains("hearth 0.1.0");

    Result completion = hearth("completion");
    assertThat(completion.code()).isZero();
    assertThat(completion.out()).contains("complete -F");

    Result bad = hearth("submit", "--cores", "300", "--", "echo");
    assertThat(bad.code()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(bad.err()).contains("--cores: 300 (expected: 1..256)");

    Result noCerts = hearth("list");
    assertThat(noCerts.code()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(noCerts.err()).contains("has no ca.pem");
  }
}
