package io.hearth.scheduler.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchedulerOptionsTest {

  @TempDir Path dir;

  @Test
  void defaultsApplyWithoutFileOrEnvironment() {
    SchedulerOptions o = SchedulerOptions.load(null, Map.of());
    assertThat(o.grpcPort()).isEqualTo(SchedulerOptions.DEFAULT_GRPC_PORT);
    assertThat(o.nodeTimeout()).isEqualTo(SchedulerOptions.DEFAULT_NODE_TIMEOUT);
    assertThat(o.clusterMembers()).isEmpty();
  }

  @Test
  void theEnvironmentOverridesTheFileWhichOverridesDefaults() throws Exception {
    Path file = dir.resolve("hearth.properties");
    Files.writeString(file, "grpc.port=9000\nnode.timeout-ms=2000\ncluster.members=10.0.0.1:5701, 10.0.0.2:5701\n"
        .replace("10.0.0.", "127.0.0."));
    SchedulerOptions o = SchedulerOptions.load(file, Map.of("HEARTH_GRPC_PORT", "9100"));
    assertThat(o.grpcPort()).isEqualTo(9100);
    assertThat(o.nodeTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(o.clusterMembers()).containsExactly("127.0.0.1:5701", "127.0.0.2:5701");
  }

  @Test
  void refusesUnknownKeysAndBadValuesNamingTheSetting() throws Exception {
    Path file = dir.resolve("typo.properties");
    Files.writeString(file, "grpc.prot=9000\n");
    assertThatThrownBy(() -> SchedulerOptions.load(file, Map.of()))
        .hasMessageContaining("unknown key 'grpc.prot'");
    assertThatThrownBy(() -> SchedulerOptions.load(null, Map.of("HEARTH_GRPC_PORT", "70000")))
        .hasMessage("grpc.port: 70000 (expected: 0..65535)");
    assertThatThrownBy(() -> SchedulerOptions.load(null, Map.of("HEARTH_NODE_TIMEOUT_MS", "ten")))
        .hasMessage("node.timeout-ms: 'ten' (expected: an integer)");
    assertThatThrownBy(() -> SchedulerOptions.load(null, Map.of("HEARTH_PLACEMENT_MIN_HEAT_FRACTION", "1.5")))
        .hasMessage("placement.min-heat-fraction: 1.5 (expected: 0..1)");
    assertThatThrownBy(() -> SchedulerOptions.load(null, Map.of("HEARTH_PLACEMENT_DONATED_ON_DATACENTER", "yes")))
        .hasMessage("placement.donated-on-datacenter: 'yes' (expected: true or false)");
    assertThatThrownBy(() -> SchedulerOptions.load(null, Map.of("HEARTH_DONATION_NODE_KINDS", "radiator,datacenter")))
        .hasMessage("donation.node-kinds: 'datacenter' in 'radiator,datacenter' (expected: radiator, boiler or"
            + " radiator,boiler)");
    assertThatThrownBy(() -> SchedulerOptions.builder().donationNodeKinds(",").build())
        .hasMessage("donation.node-kinds: '' in ',' (expected: radiator, boiler or radiator,boiler)");
    assertThat(SchedulerOptions.load(null, Map.of("HEARTH_DONATION_NODE_KINDS", "Boiler, radiator")).donationSources())
        .hasToString("radiator,boiler");
    assertThatThrownBy(() -> SchedulerOptions.load(null, Map.of("HEARTH_JOBS_RETENTION_SECONDS", "-1")))
        .hasMessage("jobs.retention-seconds: -1 (expected: 0..31536000)");
    assertThatThrownBy(() -> SchedulerOptions.load(null, Map.of("HEARTH_JOBS_RETENTION_SECONDS", "31536001")))
        .hasMessage("jobs.retention-seconds: 31536001 (expected: 0..31536000)");
    assertThat(SchedulerOptions.load(null, Map.of("HEARTH_JOBS_RETENTION_SECONDS", "0")).jobsRetention()).isZero();
    assertThat(SchedulerOptions.builder().build().jobsRetention()).isEqualTo(Duration.ofHours(4));
    // A setting in seconds states its bound in seconds.
    assertThatThrownBy(() -> SchedulerOptions.load(null, Map.of("HEARTH_DONATION_WINDOW_SECONDS", "0")))
        .hasMessage("donation.window-seconds: 0 (expected: 1..604800)");
  }

  @Test
  void everySettingCanBeSetByItsKeyAndIsInTheReadmeTable() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    for (SchedulerOptions.Setting s : SchedulerOptions.settings()) {
      assertThat(readme).as("README row of %s", s.key())
          .contains("| `" + s.key() + "` | `" + s.env() + "` |");
      SchedulerOptions.builder().set(s.key(), s.defaultValue().isEmpty() ? "" : s.defaultValue()).build();
    }
  }
}
