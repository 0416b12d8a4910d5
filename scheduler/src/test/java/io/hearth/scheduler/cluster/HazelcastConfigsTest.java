package io.hearth.scheduler.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.hearth.scheduler.config.SchedulerOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The member's join configuration follows the discovery settings. */
class HazelcastConfigsTest {

  @TempDir Path dir;

  @Test
  void aKubernetesServiceDnsNameSelectsTheKubernetesJoinAndDisablesTcpIp() {
    SchedulerOptions options = SchedulerOptions.load(null, Map.of(
        "HEARTH_CLUSTER_KUBERNETES_SERVICE_DNS", "hearth-scheduler-headless.hearth.svc.cluster.local",
        "HEARTH_CLUSTER_PORT", "5801",
        "HEARTH_STORE_DATA_DIR", dir.resolve("db").toString()));
    JoinConfig join = join(options);
    assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
    assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
    assertThat(join.getKubernetesConfig().getProperties())
        .containsEntry("service-dns", "hearth-scheduler-headless.hearth.svc.cluster.local")
        .containsEntry("service-port", "5801");
  }

  @Test
  void withoutAServiceDnsNameTheMemberListIsJoinedOverTcpIp() {
    SchedulerOptions options = SchedulerOptions.builder()
        .clusterMembers(List.of("127.0.0.2:5701"))
        .storeDataDir(dir.resolve("db").toString())
        .build();
    JoinConfig join = join(options);
    assertThat(join.getKubernetesConfig().isEnabled()).isFalse();
    assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
    assertThat(join.getTcpIpConfig().getMembers()).containsExactly("127.0.0.1:5701", "127.0.0.2:5701");
  }

  @Test
  void aServiceDnsNameAndAMemberListTogetherAreRefused() {
    assertThatThrownBy(() -> SchedulerOptions.load(null, Map.of(
        "HEARTH_CLUSTER_KUBERNETES_SERVICE_DNS", "hearth-headless",
        "HEARTH_CLUSTER_MEMBERS", "127.0.0.2:5701")))
        .hasMessage("cluster.members: '127.0.0.2:5701' (expected: empty when cluster.kubernetes-service-dns is set)");
  }

  @Test
  void aLeavingMemberWaitsAtMostTheGracefulShutdownBudget() {
    Config config = config(SchedulerOptions.builder().storeDataDir(dir.resolve("db").toString()).build());
    assertThat(config.getProperty("hazelcast.graceful.shutdown.max.wait"))
        .isEqualTo(String.valueOf(HazelcastConfigs.GRACEFUL_SHUTDOWN_MAX_WAIT.toSeconds()));
  }

  /**
   * The journal's calls run on the partition threads (a load is a look-up in memory, a write an
   * append to the page cache); a database's are offloaded, since each waits on a round trip.
   */
  @Test
  void onlyADatabaseStoreIsCalledOffThePartitionThreads() {
    for (SchedulerOptions.StoreType type : SchedulerOptions.StoreType.values()) {
      if (type == SchedulerOptions.StoreType.POSTGRESQL) {
        continue; // needs a server to open; it is a SqlStore as H2 is
      }
      Config config = config(SchedulerOptions.builder().storeType(type)
          .storeDataDir(dir.resolve("db-" + type).toString()).build());
      boolean database = type != SchedulerOptions.StoreType.JOURNAL;
      for (String map : List.of(HazelcastConfigs.JOBS_MAP, HazelcastConfigs.REQUESTS_MAP)) {
        assertThat(config.getMapConfig(map).getMapStoreConfig().isOffload()).as(type + " " + map).isEqualTo(database);
      }
    }
  }

  private JoinConfig join(SchedulerOptions options) {
    return config(options).getNetworkConfig().getJoin();
  }

  private static Config config(SchedulerOptions options) {
    try (DurableStore store = DurableStore.open(options)) {
      return HazelcastConfigs.build(options, store);
    }
  }
}
