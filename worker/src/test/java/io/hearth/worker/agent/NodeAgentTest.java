package io.hearth.worker.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.hearth.api.v1.Assignment;
import io.hearth.api.v1.AttemptState;
import io.hearth.api.v1.AttemptUpdate;
import io.hearth.api.v1.Cancellation;
import io.hearth.api.v1.Hello;
import io.hearth.api.v1.NodeKind;
import io.hearth.api.v1.NodeMessage;
import io.hearth.api.v1.SchedulerMessage;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.Telemetry;
import io.hearth.api.v1.UpdateRejected;
import io.hearth.api.v1.Workload;
import io.hearth.worker.thermal.OutdoorTemperature;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeAgentTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path workDir;
  private TestScheduler scheduler;
  private NodeAgent agent;

  @BeforeEach
  void setUp() throws Exception {
    scheduler = new TestScheduler(Duration.ofMillis(100)).start();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (agent != null) {
      agent.close();
    }
    scheduler.close();
  }

  private NodeAgent.Builder agentBuilder(String nodeId) {
    return NodeAgent.builder()
        .nodeId(nodeId)
        .scheduler(scheduler.target())
        .credentials(TestScheduler.credentialsFor(nodeId, "SEALED"))
        .kind(NodeKind.NODE_KIND_RADIATOR)
        .securityClass(SecurityClass.SECURITY_CLASS_SEALED)
        .cores(4).memoryMib(8192).maxWatts(500).wattsPerCore(150)
        .site("bldg-7").region("fr-paris")
        .outdoor(OutdoorTemperature.constant(5))
        .workDir(workDir)
        .telemetryInterval(Duration.ofSeconds(30))
        .cancelGrace(Duration.ofSeconds(2))
        .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(200));
  }

  private static List<AttemptUpdate> updates(TestScheduler.Stream s, String jobId) {
    return s.received.stream().filter(NodeMessage::hasAttemptUpdate).map(NodeMessage::getAttemptUpdate)
        .filter(u -> u.getJobId().equals(jobId)).collect(Collectors.toList());
  }

  private static List<AttemptState> states(TestScheduler.Stream s, String jobId) {
    return updates(s, jobId).stream().map(AttemptUpdate::getState).collect(Collectors.toList());
  }

  private static List<Telemetry> telemetry(TestScheduler.Stream s) {
    return s.received.stream().filter(NodeMessage::hasTelemetry).map(NodeMessage::getTelemetry)
        .collect(Collectors.toList());
  }

  private static SchedulerMessage assign(String jobId, long token, int cores, String... argv) {
    return SchedulerMessage.newBuilder().setAssignment(Assignment.newBuilder()
        .setJobId(jobId).setAttempt(1).setFencingToken(token).setCores(cores).setOwner("bank-a")
        .setWorkload(Workload.newBuilder().addAllArgv(List.of(argv)))).build();
  }

  @Test
  void saysHelloFirstWithItsIdentityThenSendsTelemetry() {
    agent = agentBuilder("rad-1").start();

    await().atMost(WAIT).until(() -> agent.isConnected());
    TestScheduler.Stream s = scheduler.latest("rad-1");
    assertThat(s.identity).isEqualTo("node/rad-1");
    Hello hello = s.received.get(0).getHello();
    assertThat(hello.getKind()).isEqualTo(NodeKind.NODE_KIND_RADIATOR);
    assertThat(hello.getSecurityClass()).isEqualTo(SecurityClass.SECURITY_CLASS_SEALED);
    assertThat(hello.getCores()).isEqualTo(4);
    assertThat(hello.getMemoryMib()).isEqualTo(8192);
    assertThat(hello.getMaxWatts()).isEqualTo(500.0);
    assertThat(hello.getWattsPerCore()).isEqualTo(150.0);
    assertThat(hello.getSite()).isEqualTo("bldg-7");
    assertThat(hello.getRegion()).isEqualTo("fr-paris");
    assertThat(hello.getAgentVersion()).isNotEmpty();
    assertThat(agent.effectiveSecurityClass()).isEqualTo(SecurityClass.SECURITY_CLASS_SEALED);

    // The Welcome asked for 100 ms telemetry, overriding the builder's 30 s.
    await().atMost(WAIT).until(() -> telemetry(s).size() >= 3);
    Telemetry t = telemetry(s).get(0);
    assertThat(t.getHeatDemandWatts()).isCloseTo(30 * (19.5 - 5), org.assertj.core.data.Offset.offset(1.0));
    assertThat(t.getSetpointC()).isEqualTo(19.5);
    assertThat(t.getOutdoorTemperatureC()).isEqualTo(5.0);
    assertThat(t.getBusyCores()).isZero();
    assertThat(t.getComputeDrawWatts()).isZero();
    assertThat(t.hasMeasuredAt()).isTrue();
  }

  @Test
  void runsAnAssignmentAndReportsRunningThenSucceededWithItsToken() {
    agent = agentBuilder("rad-2").start();
    await().atMost(WAIT).until(() -> agent.isConnected());
    TestScheduler.Stream s = scheduler.latest("rad-2");

    s.send(assign("job-1", 1001, 1, "sh", "-c", "echo \"$HEARTH_FENCING_TOKEN\""));

    await().atMost(WAIT).until(() -> states(s, "job-1").contains(AttemptState.ATTEMPT_STATE_SUCCEEDED));
    assertThat(states(s, "job-1"))
        .containsExactly(AttemptState.ATTEMPT_STATE_RUNNING, AttemptState.ATTEMPT_STATE_SUCCEEDED);
    assertThat(updates(s, "job-1")).allSatisfy(u -> assertThat(u.getFencingToken()).isEqualTo(1001));
    assertThat(agent.completedAttempts()).singleElement().satisfies(c -> {
      assertThat(c.jobId()).isEqualTo("job-1");
      assertThat(c.fencingToken()).isEqualTo(1001);
      assertThat(c.state()).isEqualTo(AttemptState.ATTEMPT_STATE_SUCCEEDED);
      assertThat(c.exitCode()).isZero();
      assertThat(c.nodeId()).isEqualTo("rad-2");
    });
  }

  @Test
  void reportsBusyCoresAndDrawWhileAJobRunsAndCancelsIt() {
    agent = agentBuilder("rad-3").start();
    await().atMost(WAIT).until(() -> agent.isConnected());
    TestScheduler.Stream s = scheduler.latest("rad-3");

    s.send(assign("job-2", 2002, 4, "sleep", "30"));

    await().atMost(WAIT).until(() -> telemetry(s).stream().anyMatch(t -> t.getBusyCores() == 4));
    Telemetry busy = telemetry(s).stream().filter(t -> t.getBusyCores() == 4).findFirst().orElseThrow();
    assertThat(busy.getComputeDrawWatts()).isEqualTo(500.0); // 4 x 150 W capped at max watts
    assertThat(agent.runningAttempts()).singleElement().satisfies(r -> {
      assertThat(r.jobId()).isEqualTo("job-2");
      assertThat(r.fencingToken()).isEqualTo(2002);
    });

    s.send(SchedulerMessage.newBuilder().setCancellation(
        Cancellation.newBuilder().setJobId("job-2").setFencingToken(2002).setReason("user")).build());

    await().atMost(WAIT).until(() -> states(s, "job-2").contains(AttemptState.ATTEMPT_STATE_CANCELLED));
    assertThat(agent.runningAttempts()).isEmpty();
    await().atMost(WAIT).until(() -> telemetry(s).get(telemetry(s).size() - 1).getBusyCores() == 0);
    assertThat(agent.energyWh()).isPositive();
  }

  @Test
  void updateRejectedStopsTheProcessAndIsNotReportedAgain() {
    agent = agentBuilder("rad-4").start();
    await().atMost(WAIT).until(() -> agent.isConnected());
    TestScheduler.Stream s = scheduler.latest("rad-4");
    s.send(assign("job-3", 3003, 1, "sleep", "30"));
    await().atMost(WAIT).until(() -> agent.runningAttempts().size() == 1);
    long pid = agent.runningAttempts().get(0).pid();

    s.send(SchedulerMessage.newBuilder().setUpdateRejected(
        UpdateRejected.newBuilder().setJobId("job-3").setFencingToken(3003).setReason("stale")).build());

    await().atMost(WAIT).until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true)
        && agent.busyCores() == 0);
    assertThat(agent.runningAttempts()).isEmpty();
    assertThat(agent.completedAttempts()).isEmpty();
    assertThat(states(s, "job-3")).containsExactly(AttemptState.ATTEMPT_STATE_RUNNING);
  }

  @Test
  void reconnectsAfterTheSchedulerRestartsAndSendsWhatItMissed() throws Exception {
    agent = agentBuilder("rad-5").start();
    await().atMost(WAIT).until(() -> agent.isConnected());
    TestScheduler.Stream first = scheduler.latest("rad-5");
    first.send(assign("short", 1, 1, "sh", "-c", "read x < /dev/null; sleep 1"));
    first.send(assign("long", 2, 1, "sleep", "30"));
    await().atMost(WAIT).until(() -> agent.runningAttempts().size() == 2);

    scheduler.stop();
    await().atMost(WAIT).until(() -> !agent.isConnected());
    await().atMost(WAIT).until(() -> agent.completedAttempts().size() == 1);
    scheduler.start();

    await().atMost(WAIT).until(() -> agent.isConnected());
    TestScheduler.Stream second = scheduler.latest("rad-5");
    assertThat(second).isNotSameAs(first);
    assertThat(second.identity).isEqualTo("node/rad-5");
    assertThat(second.received.get(0).hasHello()).isTrue();
    // The hello lists the running attempt and the ended one whose report follows: a scheduler that
    // requeued "short" on reading the hello would run it twice.
    assertThat(second.received.get(0).getHello().getRunningFencingTokensList()).containsExactlyInAnyOrder(1L, 2L);
    await().atMost(WAIT).until(() -> states(second, "short").contains(AttemptState.ATTEMPT_STATE_SUCCEEDED)
        && states(second, "long").contains(AttemptState.ATTEMPT_STATE_RUNNING));
    // The long job kept running through the outage.
    assertThat(agent.runningAttempts()).extracting(RunningAttempt::jobId).containsExactly("long");
    assertThat(agent.connectCount()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void aFinalReportSentJustBeforeTheStreamBrokeIsSentAgainAndItsAttemptIsHeldInTheHello() throws Exception {
    agent = agentBuilder("rad-8").start();
    await().atMost(WAIT).until(() -> agent.isConnected());
    TestScheduler.Stream first = scheduler.latest("rad-8");
    first.send(assign("quick", 7, 1, "true"));
    await().atMost(WAIT).until(() -> states(first, "quick").contains(AttemptState.ATTEMPT_STATE_SUCCEEDED));

    // The member that received the report dies before acting on it (a SIGKILLed leader).
    scheduler.stop();
    await().atMost(WAIT).until(() -> !agent.isConnected());
    scheduler.start();

    await().atMost(WAIT).until(() -> agent.isConnected());
    TestScheduler.Stream second = scheduler.latest("rad-8");
    assertThat(second).isNotSameAs(first);
    Hello hello = second.received.get(0).getHello();
    assertThat(agent.runningAttempts()).isEmpty();
    assertThat(hello.getRunningFencingTokensList()).containsExactly(7L);
    await().atMost(WAIT).until(() -> states(second, "quick").contains(AttemptState.ATTEMPT_STATE_SUCCEEDED));
    assertThat(updates(second, "quick")).extracting(AttemptUpdate::getFencingToken).containsOnly(7L);
  }

  @Test
  void keepsRetryingWhileNoSchedulerListens() throws Exception {
    scheduler.stop();
    agent = agentBuilder("rad-6").start();
    await().atMost(WAIT).until(() -> agent.connectCount() >= 3);
    assertThat(agent.isConnected()).isFalse();

    scheduler.start();

    await().atMost(WAIT).until(() -> agent.isConnected());
  }

  @Test
  void rejectsBadSettingsNamingTheSetting() {
    assertThatThrownBy(() -> NodeAgent.builder().cores(0)).hasMessage("cores: 0 (expected: 1..1024)");
    assertThatThrownBy(() -> NodeAgent.builder().nodeId("bad id"))
        .hasMessageStartingWith("nodeId: \"bad id\" (expected:");
    assertThatThrownBy(() -> NodeAgent.builder().nodeId("n").workDir(workDir).build())
        .hasMessageStartingWith("scheduler: missing");
  }
}
