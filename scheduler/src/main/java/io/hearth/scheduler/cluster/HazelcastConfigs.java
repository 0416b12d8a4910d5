package io.hearth.scheduler.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.IndexConfig;
import com.hazelcast.config.IndexType;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MapStoreConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionOn;
import io.hearth.scheduler.config.SchedulerOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;

/**
 * Builds the embedded Hazelcast member's configuration: Vert.x's own maps (from
 * {@link ConfigUtil#loadConfig()}) plus Hearth's, TCP-IP discovery with an explicit member list
 * (or, in Kubernetes, Hazelcast's kubernetes join by DNS lookup of a headless Service), no
 * multicast, no phone-home, synchronous backups for the job state, written through to the
 * {@link DurableStore} and loaded from it eagerly. With more than one expected member the job maps
 * are guarded by split-brain protection: a side of the cluster without a majority of the expected
 * members can neither read nor write them, so two sides can never both commit placements.
 */
public final class HazelcastConfigs {

  public static final String JOBS_MAP = "hearth.jobs";
  public static final String REQUESTS_MAP = "hearth.requests";
  public static final String NODES_MAP = "hearth.nodes";
  /** Approved nonprofits: id -> {@code hearth.v1.Nonprofit} bytes. */
  public static final String NONPROFITS_MAP = "hearth.nonprofits";
  public static final String JOB_IDS = "hearth.job-ids";
  public static final String FENCING_TOKENS = "hearth.fencing-tokens";
  public static final String MAJORITY = "hearth.majority";
  /**
   * Longest a leaving member waits for its partitions to be handed over (Hazelcast's default is
   * 600 s); a Kubernetes pod's termination grace period must cover it plus the gRPC drain.
   */
  public static final java.time.Duration GRACEFUL_SHUTDOWN_MAX_WAIT = java.time.Duration.ofSeconds(30);

  private HazelcastConfigs() {}

  public static Config build(SchedulerOptions options, DurableStore store) {
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(options.clusterName());
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    config.setProperty("hazelcast.graceful.shutdown.max.wait", String.valueOf(GRACEFUL_SHUTDOWN_MAX_WAIT.toSeconds()));
    // A killed member must be noticed within seconds (defaults: 60 s), so that its partitions are
    // promoted and a lost leader is replaced within the failover budget.
    long failureSeconds = Math.max(2, options.failureTimeout().toSeconds());
    config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    config.setProperty("hazelcast.max.no.heartbeat.seconds", String.valueOf(failureSeconds));

    NetworkConfig network = config.getNetworkConfig();
    network.setPort(options.clusterPort()).setPortAutoIncrement(true).setPortCount(100);
    network.getInterfaces().setEnabled(true).addInterface(options.clusterHost());
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    if (options.kubernetesServiceDns().isEmpty()) {
      join.getTcpIpConfig().setEnabled(true).addMember(options.clusterHost() + ":" + options.clusterPort());
      for (String member : options.clusterMembers()) {
        join.getTcpIpConfig().addMember(member);
      }
    } else {
      // DNS lookup mode: no Kubernetes API access (no service account, no RBAC) is needed; the
      // headless Service must publish not-ready addresses, or members never find each other
      // before the first of them is ready, and none is ready before a majority has joined.
      join.getTcpIpConfig().setEnabled(false);
      join.getKubernetesConfig().setEnabled(true)
          .setProperty("service-dns", options.kubernetesServiceDns())
          .setProperty("service-port", String.valueOf(options.clusterPort()));
    }

    config.getSerializationConfig().getCompactSerializationConfig().addClass(StoredJob.class);
    MapConfig jobs = new MapConfig(JOBS_MAP)
        .setBackupCount(1)
        .setAsyncBackupCount(0)
        .setReadBackupData(false)
        .setMapStoreConfig(writeThrough(store.jobs(), store.offload()))
        .addIndexConfig(new IndexConfig(IndexType.HASH, "owner"))
        .addIndexConfig(new IndexConfig(IndexType.HASH, "state"));
    MapConfig requests = new MapConfig(REQUESTS_MAP).setBackupCount(1)
        .setMapStoreConfig(writeThrough(store.requests(), store.offload()));
    if (options.expectedMembers() > 1) {
      // A member starts only once a majority has joined: the maps are loaded from the store and
      // used by a cluster that may write them.
      config.setProperty("hazelcast.initial.min.cluster.size", String.valueOf(options.quorum()));
      config.addSplitBrainProtectionConfig(new SplitBrainProtectionConfig(MAJORITY, true, options.quorum())
          .setProtectOn(SplitBrainProtectionOn.READ_WRITE));
      jobs.setSplitBrainProtectionName(MAJORITY);
      requests.setSplitBrainProtectionName(MAJORITY);
    }
    config.addMapConfig(jobs);
    config.addMapConfig(requests);
    // A database store's write-through calls run on this executor (offloaded from the partition
    // threads) and mostly wait for its group commit: enough of them lets many changes share one
    // commit. The journal's calls run on the partition threads (DurableStore.offload).
    config.getExecutorConfig(MAP_STORE_EXECUTOR).setPoolSize(MAP_STORE_THREADS);
    config.addMapConfig(new MapConfig(NODES_MAP).setBackupCount(1));
    for (String m : java.util.List.of("hearth.offers", "hearth.claims", "hearth.grants")) {
      config.addMapConfig(new MapConfig(m).setBackupCount(1));
    }
    config.addMapConfig(new MapConfig(NONPROFITS_MAP).setBackupCount(1));
    return config;
  }

  /** Hazelcast's executor for offloaded map-store calls (ExecutionService.MAP_STORE_OFFLOADABLE_EXECUTOR). */
  static final String MAP_STORE_EXECUTOR = "hz:map-store-offloadable";
  static final int MAP_STORE_THREADS = 32;

  /** Write-through (a change returns once stored), loaded in full before the map is first used. */
  private static MapStoreConfig writeThrough(Object implementation, boolean offload) {
    return new MapStoreConfig()
        .setEnabled(true)
        .setOffload(offload)
        .setImplementation(implementation)
        .setWriteDelaySeconds(0)
        .setInitialLoadMode(MapStoreConfig.InitialLoadMode.EAGER);
  }
}
