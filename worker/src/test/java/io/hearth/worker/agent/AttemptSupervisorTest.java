package io.hearth.worker.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Duration;
import io.hearth.api.v1.Assignment;
import io.hearth.api.v1.AttemptState;
import io.hearth.api.v1.AttemptUpdate;
import io.hearth.api.v1.Workload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AttemptSupervisorTest {
  private static final java.time.Duration WAIT = java.time.Duration.ofSeconds(10);

  @TempDir Path workDir;
  private ScheduledExecutorService timer;
  private SerialExecutor context;
  private final List<AttemptUpdate> updates = new CopyOnWriteArrayList<>();
  private final AtomicInteger busyChanges = new AtomicInteger();
  private AttemptSupervisor supervisor;

  @BeforeEach
  void setUp() throws Exception {
    Path secretsDir = java.nio.file.Files.createDirectories(workDir.resolve("secrets"));
    java.nio.file.Files.writeString(secretsDir.resolve("db-password"), "s3cr3t-v4lue\n");
    timer = Executors.newScheduledThreadPool(1);
    context = new SerialExecutor(timer);
    supervisor = new AttemptSupervisor("node-1", workDir, context, timer, Clock.systemUTC(),
        java.time.Duration.ofMillis(300), 100, new AttemptSupervisor.Listener() {
          @Override
          public void beforeBusyChange() {
            busyChanges.incrementAndGet();
          }

          @Override
          public void report(AttemptUpdate update) {
            updates.add(update);
          }
        }, System.getenv(), SecretStore.directory(secretsDir), 150, new AttemptLogs(workDir, Clock.systemUTC(),
            AttemptLogs.DEFAULT_RETENTION, AttemptLogs.DEFAULT_MAX_TOTAL_BYTES, BoundedLog.DEFAULT_HEAD, BoundedLog.DEFAULT_TAIL));
  }

  @AfterEach
  void tearDown() {
    supervisor.killAll(java.time.Duration.ofSeconds(2));
    timer.shutdownNow();
  }

  static Assignment assignment(String jobId, long token, String... argv) {
    return Assignment.newBuilder().setJobId(jobId).setAttempt(1).setFencingToken(token).setCores(2)
        .setWorkload(Workload.newBuilder().addAllArgv(List.of(argv)).putEnvironment("FOO", "bar"))
        .build();
  }

  private void start(Assignment a) {
    context.execute(() -> supervisor.start(a));
  }

  private List<AttemptState> statesOf(String jobId) {
    return updates.stream().filter(u -> u.getJobId().equals(jobId)).map(AttemptUpdate::getState).toList();
  }

  private AttemptUpdate last(String jobId) {
    List<AttemptUpdate> mine = updates.stream().filter(u -> u.getJobId().equals(jobId)).toList();
    return mine.get(mine.size() - 1);
  }

  @Test
  void nonZeroExitIsFailedWithItsCodeAndStdoutIsKept() throws Exception {
    start(assignment("job-1", 7, "sh", "-c", "echo hello; echo oops >&2; exit 3"));

    await().atMost(WAIT).until(() -> statesOf("job-1").size() == 2);
    assertThat(statesOf("job-1"))
        .containsExactly(AttemptState.ATTEMPT_STATE_RUNNING, AttemptState.ATTEMPT_STATE_FAILED);
    AttemptUpdate end = last("job-1");
    assertThat(end.getExitCode()).isEqualTo(3);
    assertThat(end.getFencingToken()).isEqualTo(7);
    assertThat(Files.readString(workDir.resolve("job-1-1").resolve("stdout.log"))).isEqualTo("hello\n");
    assertThat(Files.readString(workDir.resolve("job-1-1").resolve("stderr.log"))).isEqualTo("oops\n");
    assertThat(supervisor.completed()).singleElement().satisfies(c -> {
      assertThat(c.state()).isEqualTo(AttemptState.ATTEMPT_STATE_FAILED);
      assertThat(c.exitCode()).isEqualTo(3);
      assertThat(c.nodeId()).isEqualTo("node-1");
    });
    assertThat(supervisor.busyCores()).isZero();
  }

  @Test
  void zeroExitSucceedsAndTheJobSeesItsEnvironment() throws Exception {
    start(assignment("job/2", 42, "sh", "-c",
        "echo \"$HEARTH_JOB_ID $HEARTH_ATTEMPT $HEARTH_FENCING_TOKEN $FOO\"; pwd"));

    await().atMost(WAIT).until(() -> statesOf("job/2").contains(AttemptState.ATTEMPT_STATE_SUCCEEDED));
    Path dir = workDir.resolve("job_2-1");
    assertThat(Files.readAllLines(dir.resolve("stdout.log")))
        .containsExactly("job/2 1 42 bar", dir.toRealPath().toString());
    assertThat(last("job/2").getExitCode()).isZero();
  }

  @Test
  void cancelledSleepIsTerminatedAndReportedCancelled() {
    start(assignment("job-3", 3, "sleep", "30"));
    await().atMost(WAIT).until(() -> supervisor.running().size() == 1);
    assertThat(supervisor.busyCores()).isEqualTo(2);
    long pid = supervisor.running().get(0).pid();

    context.execute(() -> supervisor.cancel("job-3", 3, "user asked"));

    await().atMost(WAIT).until(() -> statesOf("job-3").contains(AttemptState.ATTEMPT_STATE_CANCELLED));
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    assertThat(last("job-3").getMessage()).isEqualTo("user asked");
    assertThat(supervisor.running()).isEmpty();
  }

  @Test
  void processIgnoringSigtermIsKilledAfterTheGracePeriod() {
    start(assignment("job-4", 4, "sh", "-c", "trap '' TERM; sleep 30"));
    await().atMost(WAIT).until(() -> supervisor.running().size() == 1);

    context.execute(() -> supervisor.cancel("job-4", 4, "stop"));

    await().atMost(WAIT).until(() -> statesOf("job-4").contains(AttemptState.ATTEMPT_STATE_CANCELLED));
    assertThat(last("job-4").getExitCode()).isEqualTo(137);
  }

  @Test
  void runningPastMaxRuntimeIsTimedOut() {
    Assignment a = assignment("job-5", 5, "sleep", "30").toBuilder()
        .setMaxRuntime(Duration.newBuilder().setSeconds(1)).build();
    start(a);

    await().atMost(WAIT).until(() -> statesOf("job-5").contains(AttemptState.ATTEMPT_STATE_TIMED_OUT));
    assertThat(statesOf("job-5"))
        .containsExactly(AttemptState.ATTEMPT_STATE_RUNNING, AttemptState.ATTEMPT_STATE_TIMED_OUT);
  }

  @Test
  void preemptionUsesTheGivenGraceAndReportsPreempted() {
    start(assignment("job-6", 6, "sh", "-c", "trap '' TERM; sleep 30"));
    await().atMost(WAIT).until(() -> supervisor.running().size() == 1);

    context.execute(() -> supervisor.preempt("job-6", 6, "room is warm", java.time.Duration.ZERO));

    await().atMost(WAIT).until(() -> statesOf("job-6").contains(AttemptState.ATTEMPT_STATE_PREEMPTED));
  }

  @Test
  void programThatCannotStartIsFailedWithTheReason() {
    start(assignment("job-7", 7, "/nonexistent/program"));

    await().atMost(WAIT).until(() -> statesOf("job-7").contains(AttemptState.ATTEMPT_STATE_FAILED));
    assertThat(statesOf("job-7")).containsExactly(AttemptState.ATTEMPT_STATE_FAILED);
    assertThat(last("job-7").getMessage()).contains("could not start").contains("/nonexistent/program");
    assertThat(supervisor.completed()).singleElement().extracting(CompletedAttempt::exitCode).isEqualTo(-1);
  }

  @Test
  void forgottenAttemptIsStoppedWithoutAnotherReport() {
    start(assignment("job-8", 8, "sleep", "30"));
    await().atMost(WAIT).until(() -> supervisor.running().size() == 1);
    long pid = supervisor.running().get(0).pid();

    context.execute(() -> supervisor.forget("job-8", 8));

    await().atMost(WAIT).until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true)
        && supervisor.busyCores() == 0);
    assertThat(statesOf("job-8")).containsExactly(AttemptState.ATTEMPT_STATE_RUNNING);
    assertThat(supervisor.completed()).isEmpty();
  }

  @Test
  void staleTokenDoesNotStopTheAttempt() {
    start(assignment("job-9", 9, "sleep", "30"));
    await().atMost(WAIT).until(() -> supervisor.running().size() == 1);

    context.execute(() -> supervisor.cancel("job-9", 8, "stale"));
    // A later no-op in the same serial context proves the cancellation was handled.
    AtomicInteger handled = new AtomicInteger();
    context.execute(handled::incrementAndGet);

    await().atMost(WAIT).until(() -> handled.get() == 1);
    assertThat(supervisor.running()).hasSize(1);
  }

  @Test
  void repeatedAssignmentIsNotRunTwice() {
    Assignment a = assignment("job-10", 10, "sh", "-c", "exit 0");
    start(a);
    await().atMost(WAIT).until(() -> statesOf("job-10").contains(AttemptState.ATTEMPT_STATE_SUCCEEDED));
    start(a);
    await().atMost(WAIT).until(() -> statesOf("job-10").size() == 3);
    assertThat(statesOf("job-10")).containsExactly(AttemptState.ATTEMPT_STATE_RUNNING,
        AttemptState.ATTEMPT_STATE_SUCCEEDED, AttemptState.ATTEMPT_STATE_SUCCEEDED);
    assertThat(supervisor.completed()).hasSize(1);
  }

  @Test
  void aMissingSecretFailsTheAttemptNamingTheKey() {
    Assignment a = assignment("job-11", 11, "true").toBuilder()
        .setWorkload(Workload.newBuilder().addArgv("true")
            .addSecrets(io.hearth.api.v1.SecretRef.newBuilder().setEnvName("TOKEN").setKey("k")))
        .build();
    start(a);
    await().atMost(WAIT).until(() -> statesOf("job-11").contains(AttemptState.ATTEMPT_STATE_FAILED));
    assertThat(last("job-11").getMessage()).isEqualTo("secret key 'k' not found in this node's secret store");
  }

  @Test
  void aSecretReachesTheProcessEnvironmentAndNoReport() {
    Assignment a = assignment("job-12", 12, "sh", "-c", "test \"$DB_PASSWORD\" = s3cr3t-v4lue").toBuilder()
        .setWorkload(Workload.newBuilder().addArgv("sh").addArgv("-c").addArgv("test \"$DB_PASSWORD\" = s3cr3t-v4lue")
            .addSecrets(io.hearth.api.v1.SecretRef.newBuilder().setEnvName("DB_PASSWORD").setKey("db-password")))
        .build();
    start(a);
    await().atMost(WAIT).until(() -> statesOf("job-12").contains(AttemptState.ATTEMPT_STATE_SUCCEEDED));
    assertThat(updates).noneMatch(u -> u.toString().contains("s3cr3t"));
  }

  @Test
  void aSecretKeyCannotReachOutsideTheStore() {
    assertThat(SecretStore.directory(workDir.resolve("secrets")).resolve("../secrets/db-password")).isEmpty();
    assertThat(SecretStore.directory(workDir.resolve("secrets")).resolve("db-password")).contains("s3cr3t-v4lue");
  }

  @Test
  void safeNameKeepsTheDirectoryInsideTheWorkDir() {
    assertThat(AttemptSupervisor.safeName("../../etc")).isEqualTo(".._.._etc");
    assertThat(AttemptSupervisor.safeName("")).isEqualTo("_");
  }
}
