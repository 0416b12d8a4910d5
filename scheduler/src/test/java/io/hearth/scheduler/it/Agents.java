package io.hearth.scheduler.it;

import static org.awaitility.Awaitility.await;

import io.hearth.api.v1.NodeKind;
import io.hearth.api.v1.SecurityClass;
import io.hearth.worker.agent.NodeAgent;
import io.hearth.worker.thermal.NoHeat;
import io.hearth.worker.thermal.OutdoorTemperature;
import io.hearth.worker.thermal.SimulatedRoom;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Builders of real node agents (real processes for jobs) pointed at a test scheduler. */
final class Agents {

  private Agents() {}

  static NodeAgent.Builder base(TestScheduler hearth, String nodeId, Path workDir, String attested) {
    return NodeAgent.builder()
        .scheduler("127.0.0.1", hearth.port())
        .nodeId(nodeId)
        .credentials(TestScheduler.credentials("node/" + nodeId + "/" + attested))
        .workDir(workDir.resolve(nodeId))
        .telemetryInterval(Duration.ofMillis(200))
        .cancelGrace(Duration.ofSeconds(2))
        .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500));
  }

  static NodeAgent radiator(TestScheduler hearth, String nodeId, Path workDir, double outdoorC, double uaWattsPerKelvin,
      SecurityClass cls) {
    SimulatedRoom room = SimulatedRoom.builder()
        .ua(uaWattsPerKelvin)
        .setpoint(20)
        .initialTemperature(20)
        .maxWatts(700)
        .outdoor(OutdoorTemperature.constant(outdoorC))
        .build();
    return base(hearth, nodeId, workDir, cls.name().substring("SECURITY_CLASS_".length()))
        .kind(NodeKind.NODE_KIND_RADIATOR)
        .securityClass(cls)
        .cores(4)
        .memoryMib(8192)
        .maxWatts(700)
        .wattsPerCore(150)
        .thermostat(room)
        .build()
        .start();
  }

  /** {@code count} data-center agents dc-0, dc-1, ... in region eu, once all are connected. */
  static List<NodeAgent> datacenters(TestScheduler hearth, int count, Path workDir, int cores) {
    List<NodeAgent> agents = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      agents.add(datacenter(hearth, "dc-" + i, workDir, cores, "eu"));
    }
    await().atMost(Duration.ofSeconds(30))
        .until(() -> agents.stream().allMatch(NodeAgent::isConnected));
    return agents;
  }

  static NodeAgent datacenter(TestScheduler hearth, String nodeId, Path workDir, int cores, String region) {
    return base(hearth, nodeId, workDir, "CERTIFIED")
        .kind(NodeKind.NODE_KIND_DATACENTER)
        .securityClass(SecurityClass.SECURITY_CLASS_CERTIFIED)
        .cores(cores)
        .memoryMib(65536)
        .maxWatts(cores * 20.0)
        .wattsPerCore(20)
        .region(region)
        .thermostat(new NoHeat(OutdoorTemperature.constant(15)))
        .build()
        .start();
  }
}
