package io.hearth.worker.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hearth.api.v1.Hello;
import io.hearth.api.v1.NodeKind;
import io.hearth.api.v1.NodeMessage;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.Telemetry;
import io.hearth.worker.agent.NodeAgent;
import io.hearth.worker.agent.TestScheduler;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FleetSimulatorTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir Path workDir;
  private TestScheduler scheduler;

  @BeforeEach
  void setUp() throws Exception {
    scheduler = new TestScheduler(Duration.ofMillis(200)).start();
  }

  @AfterEach
  void tearDown() throws Exception {
    scheduler.close();
  }

  private FleetSimulator.Builder fleet(int count) {
    return FleetSimulator.builder().scheduler(scheduler.target()).count(count).seed(7)
        .credentials((id, cls) -> TestScheduler.credentialsFor(id, cls.name().substring("SECURITY_CLASS_".length())))
        .workDir(workDir).outdoorC(25).agentsPerChannel(8);
  }

  private static Telemetry lastTelemetry(TestScheduler.Stream s) {
    List<NodeMessage> t = s.received.stream().filter(NodeMessage::hasTelemetry).toList();
    return t.isEmpty() ? null : t.get(t.size() - 1).getTelemetry();
  }

  @Test
  void connectsEveryNodeWithItsOwnIdentityAndASeededMix() {
    try (FleetSimulator sim = fleet(20).start()) {
      await().atMost(WAIT).until(() -> sim.connectedCount() == 20);

      Map<NodeKind, Long> kinds = sim.agents().stream()
          .collect(Collectors.groupingBy(a -> a.hello().getKind(), Collectors.counting()));
      assertThat(kinds).containsEntry(NodeKind.NODE_KIND_RADIATOR, 14L)
          .containsEntry(NodeKind.NODE_KIND_BOILER, 3L).containsEntry(NodeKind.NODE_KIND_DATACENTER, 3L);
      assertThat(sim.agent("sim-rad-0001")).isNotNull();
      assertThat(sim.agent("sim-boi-0003")).isNotNull();
      assertThat(sim.agent("sim-dc-0003")).isNotNull();
      for (NodeAgent a : sim.agents()) {
        TestScheduler.Stream s = scheduler.latest(a.nodeId());
        assertThat(s.identity).isEqualTo("node/" + a.nodeId());
        Hello h = s.received.get(0).getHello();
        switch (h.getKind()) {
          case NODE_KIND_DATACENTER:
            assertThat(h.getSecurityClass()).isEqualTo(SecurityClass.SECURITY_CLASS_CERTIFIED);
            assertThat(h.getCores()).isBetween(16, 32);
            break;
          case NODE_KIND_BOILER:
            assertThat(h.getSecurityClass()).isEqualTo(SecurityClass.SECURITY_CLASS_CONTROLLED);
            assertThat(h.getCores()).isBetween(2, 4);
            break;
          default:
            assertThat(h.getCores()).isBetween(2, 4);
            assertThat(h.getWattsPerCore()).isBetween(130.0, 160.0);
            assertThat(h.getMaxWatts()).isBetween(500.0, 650.0);
        }
      }

      // In summer only the boilers want heat.
      await().atMost(WAIT).until(() -> sim.agents().stream()
          .allMatch(a -> lastTelemetry(scheduler.latest(a.nodeId())) != null));
      for (NodeAgent a : sim.agents()) {
        Telemetry t = lastTelemetry(scheduler.latest(a.nodeId()));
        if (a.hello().getKind() == NodeKind.NODE_KIND_BOILER) {
          assertThat(t.getHeatDemandWatts()).as(a.nodeId()).isPositive();
        } else {
          assertThat(t.getHeatDemandWatts()).as(a.nodeId()).isZero();
        }
      }
    }
    await().atMost(WAIT).until(() -> scheduler.streams.stream().allMatch(s -> s.ended));
  }

  @Test
  void sameSeedGivesTheSameFleet() {
    try (FleetSimulator a = fleet(30).build(); FleetSimulator b = fleet(30).build()) {
      Function<FleetSimulator, List<Hello>> hellos = f -> f.agents().stream().map(NodeAgent::hello).toList();
      assertThat(hellos.apply(a)).isEqualTo(hellos.apply(b));
    }
  }

  @Test
  void winterRadiatorsWantHeat() {
    try (FleetSimulator sim = fleet(10).outdoorC(0).mix(1.0, 0.0).start()) {
      await().atMost(WAIT).until(() -> sim.connectedCount() == 10);
      await().atMost(WAIT).until(() -> sim.agents().stream()
          .allMatch(a -> lastTelemetry(scheduler.latest(a.nodeId())) != null));
      assertThat(sim.agents()).allSatisfy(a ->
          assertThat(lastTelemetry(scheduler.latest(a.nodeId())).getHeatDemandWatts()).isGreaterThan(200));
    }
  }
}
