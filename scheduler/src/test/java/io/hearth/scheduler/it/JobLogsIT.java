package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.hearth.api.v1.GetJobLogsRequest;
import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.LogChunk;
import io.hearth.api.v1.LogStream;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.worker.agent.NodeAgent;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Job logs fetched from the node that ran the attempt over its Connect stream: exact output, the
 * 4 MiB + 4 MiB bound on a 50 MB stream, stderr, offset and limit, and the refusals.
 */
class JobLogsIT {

  static final int MIB = 1024 * 1024;
  static TestScheduler hearth;
  static NodeAgent node;
  static JobServiceGrpc.JobServiceBlockingStub acme;
  @TempDir static Path work;

  @BeforeAll
  static void start() {
    hearth = TestScheduler.start(TestScheduler.options().build());
    node = Agents.datacenter(hearth, "dc-logs", work, 8, "eu");
    await().atMost(Duration.ofSeconds(30)).until(node::isConnected);
    acme = hearth.jobs("tenant/acme");
  }

  @AfterAll
  static void stop() {
    node.close();
    hearth.close();
  }

  private static Job run(String requestId, String script, String region) {
    Job j = acme.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec(requestId, "sh", "-c", script)
        .addAllowedRegions(region)).build()).getJob();
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() ->
        acme.getJob(GetJobRequest.newBuilder().setJobId(j.getJobId()).build()).getState() == JobState.JOB_STATE_SUCCEEDED);
    return j;
  }

  private static List<LogChunk> logs(GetJobLogsRequest request) {
    List<LogChunk> out = new ArrayList<>();
    acme.getJobLogs(request).forEachRemaining(out::add);
    return out;
  }

  private static byte[] join(List<LogChunk> chunks) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    chunks.forEach(c -> out.writeBytes(c.getData().toByteArray()));
    return out.toByteArray();
  }

  @Test
  void returnsStdoutAndStderrExactlyWithOffsetAndLimit() {
    Job j = run("logs-small", "printf 'line one\\nline two\\n'; printf 'to stderr\\n' >&2", "eu");
    List<LogChunk> out = logs(GetJobLogsRequest.newBuilder().setJobId(j.getJobId()).build());
    assertThat(new String(join(out), StandardCharsets.UTF_8)).isEqualTo("line one\nline two\n");
    assertThat(out).hasSize(1);
    assertThat(out.get(0).getTruncated()).isFalse();
    assertThat(out.get(0).getKeptSize()).isEqualTo(18);
    assertThat(out.get(0).getWrittenSize()).isEqualTo(18);
    assertThat(new String(join(logs(GetJobLogsRequest.newBuilder().setJobId(j.getJobId())
        .setStream(LogStream.LOG_STREAM_STDERR).build())), StandardCharsets.UTF_8)).isEqualTo("to stderr\n");
    List<LogChunk> part = logs(GetJobLogsRequest.newBuilder().setJobId(j.getJobId()).setOffset(5).setLimit(3).build());
    assertThat(new String(join(part), StandardCharsets.UTF_8)).isEqualTo("one");
    assertThat(part.get(0).getOffset()).isEqualTo(5);
    // Attempt 1 is the latest here; attempt 2 does not exist.
    assertThat(join(logs(GetJobLogsRequest.newBuilder().setJobId(j.getJobId()).setAttempt(1).build())))
        .isEqualTo(join(out));
    assertThatThrownBy(() -> logs(GetJobLogsRequest.newBuilder().setJobId(j.getJobId()).setAttempt(2).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).isEqualTo("attempt: 2 (expected: 0..1, 0 = the latest)");
        });
    // Another tenant cannot read it; an operator can.
    assertThatThrownBy(() -> hearth.jobs("tenant/globex").getJobLogs(GetJobLogsRequest.newBuilder()
        .setJobId(j.getJobId()).build()).hasNext())
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    assertThat(hearth.jobs("operator/ops").getJobLogs(GetJobLogsRequest.newBuilder().setJobId(j.getJobId()).build())
        .next().getData().toStringUtf8()).isEqualTo("line one\nline two\n");
  }

  @Test
  void fiftyMegabytesAreKeptAsTheFirstAndLastFourMebibytesWithAMarker() {
    long written = 52_428_800;
    Job j = run("logs-big", "yes 0123456789 | head -c " + written, "eu");
    List<LogChunk> chunks = logs(GetJobLogsRequest.newBuilder().setJobId(j.getJobId()).build());
    assertThat(chunks.size()).isGreaterThan(8);
    long offset = 0;
    for (LogChunk c : chunks) {
      assertThat(c.getData().size()).isLessThanOrEqualTo(MIB);
      assertThat(c.getOffset()).isEqualTo(offset);
      assertThat(c.getTruncated()).isTrue();
      assertThat(c.getWrittenSize()).isEqualTo(written);
      offset += c.getData().size();
    }
    byte[] kept = join(chunks);
    String marker = "\n[hearth: " + (written - 8L * MIB) + " bytes truncated]\n";
    assertThat(kept.length).isEqualTo(8 * MIB + marker.length());
    assertThat(chunks.get(0).getKeptSize()).isEqualTo(kept.length);
    byte[] pattern = "0123456789\n".getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < 4 * MIB; i++) {
      if (kept[i] != pattern[i % 11]) {
        throw new AssertionError("head differs at byte " + i);
      }
    }
    assertThat(new String(kept, 4 * MIB, marker.length(), StandardCharsets.US_ASCII)).isEqualTo(marker);
    int tailAt = 4 * MIB + marker.length();
    long tailStart = written - 4L * MIB;
    for (int i = 0; i < 4 * MIB; i++) {
      if (kept[tailAt + i] != pattern[(int) ((tailStart + i) % 11)]) {
        throw new AssertionError("tail differs at byte " + i);
      }
    }
    // A limited read from inside the tail.
    byte[] some = join(logs(GetJobLogsRequest.newBuilder().setJobId(j.getJobId()).setOffset(tailAt).setLimit(22).build()));
    assertThat(some).isEqualTo(java.util.Arrays.copyOfRange(kept, tailAt, tailAt + 22));
  }

  @Test
  void aNodeThatIsNotConnectedAnswersUnavailable() {
    NodeAgent other = Agents.datacenter(hearth, "dc-gone", work, 2, "eu-gone");
    try {
      await().atMost(Duration.ofSeconds(30)).until(other::isConnected);
      Job j = run("logs-gone", "echo bye", "eu-gone");
      assertThat(join(logs(GetJobLogsRequest.newBuilder().setJobId(j.getJobId()).build()))).isEqualTo("bye\n".getBytes());
      other.close();
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThatThrownBy(() -> logs(GetJobLogsRequest.newBuilder().setJobId(j.getJobId()).build()))
              .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                assertThat(e.getStatus().getDescription()).contains("node dc-gone is not connected");
              }));
    } finally {
      other.close();
    }
  }
}
