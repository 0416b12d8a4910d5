package io.hearth.helm;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** values.schema.json and the templates refuse bad values with a message naming the value. */
class ChartSchemaTest {

  @Test
  void replicasThatAreNotANumberAreRefused() {
    assertThatThrownBy(() -> Chart.render(null, Map.of("scheduler.replicas", "three")))
        .hasMessageContaining("at '/scheduler/replicas': got string, want integer");
  }

  @Test
  void aNegativePortIsRefused() {
    assertThatThrownBy(() -> Chart.render(null, Map.of("scheduler.config.grpc\\.port", -1)))
        .hasMessageContaining("at '/scheduler/config/grpc.port': minimum: got -1, want 1");
    assertThatThrownBy(() -> Chart.render(null, Map.of("service.grpcPort", -7070)))
        .hasMessageContaining("at '/service/grpcPort': minimum: got -7,070, want 1");
  }

  @Test
  void aMisspelledSettingIsRefusedRatherThanIgnored() {
    assertThatThrownBy(() -> Chart.render(null, Map.of("scheduler.config.grpc\\.prot", 7070)))
        .hasMessageContaining("grpc.prot");
  }

  @Test
  void aSettingTheChartDerivesCannotBeSetTwice() {
    assertThatThrownBy(() -> Chart.render(null, Map.of("scheduler.config.cluster\\.members", "10.0.0.1:5701")))
        .hasMessageContaining("cluster.members");
  }

  @Test
  void aGracePeriodShorterThanTheDrainAndHandOverIsRefused() {
    assertThatThrownBy(() -> Chart.render(null, Map.of("scheduler.terminationGracePeriodSeconds", 10)))
        .hasMessageContaining("at '/scheduler/terminationGracePeriodSeconds': minimum: got 10, want 36");
  }

  @Test
  void postgresqlWithoutItsPasswordSecretIsRefused() {
    assertThatThrownBy(() -> Chart.render(null, Map.of("postgresql.enabled", true)))
        .hasMessageContaining("postgresql.existingSecret: empty");
  }
}
