package io.hearth.scheduler.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.IndexConfig;
import com.hazelcast.config.IndexType;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NetworkConfig;
import io.hearth.scheduler.config.SchedulerOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;

/**
 * Builds the embedded Hazelcast member's configuration: Vert.x's own maps (from
 * {@link ConfigUtil#loadConfig()}) plus Hearth's, TCP-IP discovery with an explicit member list,
 * no multicast, no phone-home, synchronous backups for the job state.
 */
public final class HazelcastConfigs {

  public static final String JOBS_MAP = "hearth.jobs";
  public static final String REQUESTS_MAP = "hearth.requests";
  public static final String NODES_MAP = "hearth.nodes";
  /** Approved nonprofits: id -> {@code hearth.v1.Nonprofit} bytes. */
  public static final String NONPROFITS_MAP = "hearth.nonprofits";
  public static final String JOB_IDS = "hearth.job-ids";
  public static final String FENCING_TOKENS = "hearth.fencing-tokens";

  private HazelcastConfigs() {}

  public static Config build(SchedulerOptions options) {
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(options.clusterName());
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");

    NetworkConfig network = config.getNetworkConfig();
    network.setPort(options.clusterPort()).setPortAutoIncrement(true).setPortCount(100);
    network.getInterfaces().setEnabled(true).addInterface(options.clusterHost());
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).addMember(options.clusterHost() + ":" + options.clusterPort());
    for (String member : options.clusterMembers()) {
      join.getTcpIpConfig().addMember(member);
    }

    config.getSerializationConfig().getCompactSerializationConfig().addClass(StoredJob.class);
    config.addMapConfig(new MapConfig(JOBS_MAP)
        .setBackupCount(1)
        .setAsyncBackupCount(0)
        .setReadBackupData(false)
        .addIndexConfig(new IndexConfig(IndexType.HASH, "owner"))
        .addIndexConfig(new IndexConfig(IndexType.HASH, "state")));
    config.addMapConfig(new MapConfig(REQUESTS_MAP).setBackupCount(1));
    config.addMapConfig(new MapConfig(NODES_MAP).setBackupCount(1));
    for (String m : java.util.List.of("hearth.offers", "hearth.claims", "hearth.grants")) {
      config.addMapConfig(new MapConfig(m).setBackupCount(1));
    }
    config.addMapConfig(new MapConfig(NONPROFITS_MAP).setBackupCount(1));
    return config;
  }
}
