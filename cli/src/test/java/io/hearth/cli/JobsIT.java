package io.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Array jobs, pipelines and logs through the CLI, against a dev-mode-like cluster running real processes. */
class JobsIT {

  static DevHearth dev;

  @BeforeAll
  static void start() {
    dev = DevHearth.start(4, 16);
  }

  @AfterAll
  static void stop() {
    dev.close();
  }

  @Test
  void aFiveHundredInstanceArrayJobFromAFileIsWatchedToSuccess() {
    Path file = dev.file("array.yaml", """
        name: squares
        # Each instance checks what it was told, and leaves a mark.
        command: 'test "$HEARTH_INSTANCE_COUNT" = 500 && touch "$MARKS/$HEARTH_INSTANCE_ID"'
        instances: 500
        memory_mib: 16
        security_class: OPEN
        env:
          MARKS: %s
        """.formatted(marks("array")));
    DevHearth.Run r = dev.hearth("submit", "-f", file.toString(), "--wait", "--interval", "250ms");
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains(" SUCCEEDED squares: 500 of 500 instances succeeded");
    assertThat(r.err()).contains("done 500  failed 0  of 500  ETA 0s");
    assertThat(marks("array").toFile().list()).hasSize(500);
  }

  @Test
  void anArrayJobWithOneFailingInstanceExitsNonZeroAndNamesIt() {
    Path file = dev.file("one-fails.yaml", """
        name: one-fails
        command: 'test "$HEARTH_INSTANCE_ID" != 137'
        instances: 500
        memory_mib: 16
        max_attempts: 1
        security_class: OPEN
        """);
    DevHearth.Run submitted = dev.hearth("submit", "-f", file.toString());
    assertThat(submitted.code()).isZero();
    String arrayId = submitted.out().split(" ")[1].trim();
    DevHearth.Run r = dev.hearth("watch", "--interval", "250ms", arrayId);
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(ExitCodes.JOB_FAILED);
    assertThat(r.out()).contains("499 of 500 instances succeeded")
        .contains("instance " + arrayId + ".137 FAILED").contains("exit code 1");
    assertThat(r.err()).contains("done 499  failed 1  of 500");
  }

  @Test
  void aThreeStagePipelineFromOneFileRunsInOrder() {
    Path work = marks("pipeline");
    Path file = dev.file("pipeline.yaml", """
        jobs:
          - name: prepare
            command: 'touch "$WORK/prepared"'
            env: {WORK: %1$s}
          - name: simulate
            after: [prepare]
            instances: 100
            memory_mib: 16
            command: 'test -f "$WORK/prepared" && touch "$WORK/part-$HEARTH_INSTANCE_ID"'
            env: {WORK: %1$s}
          - name: aggregate
            after: [simulate]
            command: 'test $(ls "$WORK" | grep -c "^part-") -eq 100 && touch "$WORK/aggregated"'
            env: {WORK: %1$s}
        """.formatted(work));
    DevHearth.Run r = dev.hearth("submit", "-f", file.toString(), "--wait", "--interval", "250ms");
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains(" SUCCEEDED prepare").contains(" SUCCEEDED simulate: 100 of 100 instances succeeded")
        .contains(" SUCCEEDED aggregate");
    assertThat(work.resolve("aggregated")).exists();
  }

  @Test
  void aCycleInAPipelineIsRefusedAsBadInputWithTheSchedulersMessage() {
    Path file = dev.file("cycle.yaml", """
        jobs:
          - name: a
            command: [echo, a]
            after: [b]
          - name: b
            command: [echo, b]
            after: [a]
        """);
    DevHearth.Run r = dev.hearth("submit", "-f", file.toString());
    assertThat(r.code()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(r.err()).contains("cycle.yaml: refused by the scheduler: ").contains("depends_on").contains("cycle");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void logsPrintAnAttemptsStdoutAndSayWhenItWasTruncated() {
    DevHearth.Run done = dev.hearth("submit", "--wait", "--", "sh", "-c", "echo hello from the node; echo oops >&2");
    assertThat(done.code()).isZero();
    String jobId = done.out().split(" ")[1].trim();
    DevHearth.Run out = dev.hearth("logs", jobId);
    assertThat(out.code()).as(out.err()).isZero();
    assertThat(out.out()).isEqualTo("hello from the node\n");
    assertThat(out.err()).isEmpty();
    assertThat(dev.hearth("logs", "--stderr", jobId).out()).isEqualTo("oops\n");

    DevHearth.Run big = dev.hearth("submit", "--wait", "--", "sh", "-c", "head -c 9000000 /dev/zero | tr '\\0' x");
    assertThat(big.code()).as(big.err()).isZero();
    DevHearth.Run truncated = dev.hearth("logs", big.out().split(" ")[1].trim());
    assertThat(truncated.code()).isZero();
    assertThat(truncated.err()).contains("log truncated: the process wrote 9000000 bytes to stdout");
    assertThat(truncated.out()).contains("[hearth: ").contains(" bytes truncated]").hasSizeLessThan(9_000_000);
  }

  private static Path marks(String name) {
    try {
      return Files.createDirectories(dev.dir.resolve("marks-" + name));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
