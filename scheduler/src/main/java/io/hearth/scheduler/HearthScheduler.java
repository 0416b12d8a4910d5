package io.hearth.scheduler;

import com.hazelcast.core.HazelcastInstance;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.hearth.api.v1.AdminServiceGrpc;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.NodeServiceGrpc;
import io.hearth.scheduler.api.AdminServiceImpl;
import io.hearth.scheduler.api.CallLimits;
import io.hearth.scheduler.api.CertificateIdentities;
import io.hearth.scheduler.api.DonationServiceImpl;
import io.hearth.scheduler.api.IdentityInterceptor;
import io.hearth.scheduler.api.JobServiceImpl;
import io.hearth.scheduler.api.NodeServiceImpl;
import io.hearth.scheduler.api.StrictParsing;
import io.hearth.scheduler.api.TlsSetup;
import io.hearth.scheduler.audit.AuditLog;
import io.hearth.scheduler.cluster.DurableStore;
import io.hearth.scheduler.cluster.HazelcastConfigs;
import io.hearth.scheduler.cluster.JobStore;
import io.hearth.scheduler.cluster.Leadership;
import io.hearth.scheduler.cluster.NonprofitStore;
import io.hearth.scheduler.config.SchedulerOptions;
import io.hearth.scheduler.dashboard.DashboardServer;
import io.hearth.scheduler.donation.DonationLedger;
import io.hearth.scheduler.metrics.FleetMonitor;
import io.hearth.scheduler.metrics.SchedulerMetrics;
import io.hearth.scheduler.placement.PlacementEngine;
import io.hearth.scheduler.placement.PlacementOptions;
import io.hearth.scheduler.scheduling.ClusterPlacement;
import io.hearth.scheduler.scheduling.JobEvents;
import io.hearth.scheduler.scheduling.JobFollowUps;
import io.hearth.scheduler.scheduling.JobRetention;
import io.hearth.scheduler.scheduling.NodeLogs;
import io.hearth.scheduler.scheduling.Placer;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One scheduler member: a clustered Vert.x instance whose Hazelcast member holds the cluster
 * state (written through to the durable store), the gRPC API (jobs, nodes, donations, admin), the
 * placement (the leader's placer, or the relay to it), the fleet monitor, the dashboard and the
 * Prometheus metrics. {@link #start} blocks until every part listens; {@link #close} stops them in
 * reverse order, {@link #halt} as a killed process would.
 *
 * <p>The gRPC API is served by grpc-java's own Netty server rather than through Vert.x's
 * {@code GrpcIoServer}: the standard health and reflection services need grpc-java's server
 * internals, and it measured faster here (see ENVIRONMENT.md). Vert.x carries the event bus,
 * clustering and the HTTP edge.
 *
 * <p>With {@code health.port} set, a second, plaintext grpc-java server on {@code grpc.host}
 * serves only {@code grpc.health.v1.Health} (the same statuses as the mutual-TLS one): Kubernetes'
 * native {@code grpc} probes cannot present a client certificate, and the status is all it reveals.
 */
public final class HearthScheduler implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(HearthScheduler.class);
  private static final long START_TIMEOUT_SECONDS = 120;
  /** How long {@link #close} lets gRPC calls finish before cutting them. */
  public static final java.time.Duration DRAIN = java.time.Duration.ofSeconds(5);

  private final SchedulerOptions options;
  private final Vertx vertx;
  private final ClusterPlacement placer;
  private final JobFollowUps followUps;
  private final JobRetention retention;
  private final Leadership leadership;
  private final Server grpc;
  private final Server healthServer;
  private final HttpServer http;
  private final HealthStatusManager health;
  private final JobStore store;
  private final AuditLog audit;
  private final DurableStore durable;
  private final HazelcastInstance hz;
  private final SchedulerMetrics metrics;
  private final FleetMonitor monitor;

  private HearthScheduler(SchedulerOptions options, Vertx vertx, ClusterPlacement placer, JobFollowUps followUps,
      JobRetention retention, Leadership leadership, Server grpc, Server healthServer, HttpServer http, HealthStatusManager health,
      JobStore store, AuditLog audit, DurableStore durable,
      HazelcastInstance hz, SchedulerMetrics metrics, FleetMonitor monitor) {
    this.options = options;
    this.vertx = vertx;
    this.placer = placer;
    this.followUps = followUps;
    this.retention = retention;
    this.leadership = leadership;
    this.grpc = grpc;
    this.healthServer = healthServer;
    this.http = http;
    this.health = health;
    this.store = store;
    this.audit = audit;
    this.durable = durable;
    this.hz = hz;
    this.metrics = metrics;
    this.monitor = monitor;
  }

  /** Starts a member and waits until it serves. */
  public static HearthScheduler start(SchedulerOptions options) {
    return start(options, Clock.systemUTC());
  }

  public static HearthScheduler start(SchedulerOptions options, Clock clock) {
    long t0 = System.nanoTime();
    options.requireTls();
    DurableStore durable = DurableStore.open(options);
    HazelcastClusterManager cluster = new HazelcastClusterManager(HazelcastConfigs.build(options, durable));
    SchedulerMetrics metrics = new SchedulerMetrics();
    metrics.watchStore(durable);
    Vertx vertx;
    try {
      vertx = await(Vertx.builder()
          .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
          .withMetrics(new MicrometerMetricsFactory(metrics.registry()))
          .withClusterManager(cluster).buildClustered(), "cluster join");
    } catch (RuntimeException e) {
      durable.close();
      throw e;
    }
    HazelcastInstance hz = cluster.getHazelcastInstance();
    ClusterPlacement placer = null;
    JobFollowUps followUps = null;
    JobRetention retention = null;
    Leadership leadership = null;
    Server grpc = null;
    Server healthServer = null;
    AuditLog audit = null;
    FleetMonitor monitor = null;
    try {
      java.security.cert.X509Certificate clientCa = TlsSetup.readCertificate(options.tlsCa());
      audit = AuditLog.open(java.nio.file.Path.of(options.auditFile()), clock);
      metrics.bindCluster(hz);
      JobEvents events = new JobEvents(vertx, clock);
      JobStore store = new JobStore(hz, events::publish);
      NonprofitStore nonprofits = new NonprofitStore(hz);
      DonationLedger ledger = new DonationLedger(hz, nonprofits, options.donationWindow().toSeconds());
      AuditLog auditLog = audit;
      // Only the leader places; each new leader gets a fresh placer and engine (its own state).
      placer = new ClusterPlacement(vertx, hz.getCluster().getLocalMember().getUuid().toString(),
          options.telemetryInterval(), () -> {
            Placer p = new Placer(options, store, clock, new PlacementEngine(PlacementOptions.defaults()
                .withMinHeatFraction(options.minHeatFraction())
                .withDonatedOnDatacenter(options.donatedOnDatacenter())), auditLog, metrics);
            p.useLedger(ledger);
            return p;
          });
      followUps = new JobFollowUps(store, placer, clock);
      retention = new JobRetention(store, placer::isLeader, options.jobsRetention(), clock, metrics::jobsDeleted);
      NodeLogs logs = new NodeLogs(vertx, placer.memberId(), options.logFetchTimeout().toMillis());
      leadership = new Leadership(hz, options.quorum(), placer);
      leadership.start();
      monitor = new FleetMonitor(vertx, placer, hz, store, options.dashboardRefreshInterval());
      metrics.watch(monitor);
      AdminServiceImpl admin = new AdminServiceImpl(placer, monitor, nonprofits, clock);

      HealthStatusManager health = new HealthStatusManager();
      CertificateIdentities identities = new CertificateIdentities(clientCa);
      IdentityInterceptor identity = new IdentityInterceptor(identities,
          new CallLimits(options.requestsPerSecond(), options.requestBurst(), options.streamsPerIdentity(), System::nanoTime));
      grpc = NettyServerBuilder.forAddress(new InetSocketAddress(options.grpcHost(), options.grpcPort()),
              TlsSetup.serverCredentials(options.tlsCert(), options.tlsKey(), clientCa))
          .maxInboundMessageSize(options.maxInboundMessageBytes())
          .permitKeepAliveTime(10, TimeUnit.SECONDS)
          .addService(ServerInterceptors.intercept(
              StrictParsing.wrap(new JobServiceImpl(store, placer, events, logs, clock, audit, ledger).bindService()), identity))
          .addService(ServerInterceptors.intercept(StrictParsing.wrap(new DonationServiceImpl(ledger, placer, store, clock,
              audit, options.displacedHeatingGramsPerKwh()).bindService()), identity))
          .addService(ServerInterceptors.intercept(
              StrictParsing.wrap(new NodeServiceImpl(options, store, placer, logs, clock).bindService()), identity))
          .addService(ServerInterceptors.intercept(StrictParsing.wrap(admin.bindService()), identity))
          .addService(ServerInterceptors.intercept(health.getHealthService(), identity))
          .addService(ServerInterceptors.intercept(ProtoReflectionServiceV1.newInstance(), identity))
          .build()
          .start();
      for (String service : java.util.List.of(JobServiceGrpc.SERVICE_NAME, NodeServiceGrpc.SERVICE_NAME,
          AdminServiceGrpc.SERVICE_NAME, io.hearth.api.v1.DonationServiceGrpc.SERVICE_NAME, "")) {
        health.setStatus(service, io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
      }
      if (options.healthPort() > 0) {
        healthServer = NettyServerBuilder.forAddress(new InetSocketAddress(options.grpcHost(), options.healthPort()),
                io.grpc.InsecureServerCredentials.create())
            .addService(health.getHealthService())
            .build()
            .start();
      }

      HttpServer http = await(new DashboardServer(vertx, monitor, metrics, admin, store, nonprofits, options, identities)
          .listen(options.httpHost(), options.httpPort()), "dashboard");
      LOG.info("Hearth scheduler up in {} ms: gRPC (mutual TLS) on {}:{}, dashboard on https://{}:{}/, cluster '{}'{}",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), options.grpcHost(), grpc.getPort(),
          options.httpHost(), http.actualPort(), options.clusterName(),
          healthServer == null ? "" : ", plaintext health on port " + healthServer.getPort());
      return new HearthScheduler(options, vertx, placer, followUps, retention, leadership, grpc, healthServer, http, health, store,
          audit, durable, hz, metrics, monitor);
    } catch (IOException | RuntimeException e) {
      if (monitor != null) {
        monitor.close();
      }
      if (grpc != null) {
        grpc.shutdownNow();
      }
      if (healthServer != null) {
        healthServer.shutdownNow();
      }
      if (leadership != null) {
        leadership.close();
      }
      if (followUps != null) {
        followUps.close();
      }
      if (retention != null) {
        retention.close();
      }
      if (placer != null) {
        placer.close();
      }
      if (audit != null) {
        audit.close();
      }
      vertx.close().onComplete(x -> durable.close());
      throw new IllegalStateException("scheduler failed to start: " + e.getMessage(), e);
    }
  }

  public int grpcPort() {
    return grpc.getPort();
  }

  /** Port of the plaintext health service; -1 when {@code health.port} is 0. */
  public int healthPort() {
    return healthServer == null ? -1 : healthServer.getPort();
  }

  public int httpPort() {
    return http.actualPort();
  }

  public SchedulerOptions options() {
    return options;
  }

  /** Placement on this member: the leader's placer, or the relay to it. */
  public ClusterPlacement placer() {
    return placer;
  }

  public JobStore store() {
    return store;
  }

  public SchedulerMetrics metrics() {
    return metrics;
  }

  public FleetMonitor monitor() {
    return monitor;
  }

  /**
   * Stops this member abruptly, as a killed process would: its Hazelcast member leaves without a
   * goodbye (the others notice it by its silence), node and client connections break, nothing is
   * handed over. For failover tests in one JVM.
   */
  public void halt() {
    LOG.warn("halting this member abruptly");
    grpc.shutdownNow();
    if (healthServer != null) {
      healthServer.shutdownNow();
    }
    hz.getLifecycleService().terminate();
    leadership.close();
    monitor.close();
    followUps.close();
    retention.close();
    placer.close();
    audit.close();
    vertx.close();
    durable.close();
  }

  /**
   * Stops gracefully (SIGTERM through {@link SchedulerMain}): health turns NOT_SERVING, running
   * calls get {@link #DRAIN} to finish while new ones go to other members, then the Hazelcast
   * member leaves, handing its partitions over (at most
   * {@link HazelcastConfigs#GRACEFUL_SHUTDOWN_MAX_WAIT}).
   */
  @Override
  public void close() {
    health.enterTerminalState();
    grpc.shutdown();
    try {
      if (!grpc.awaitTermination(DRAIN.toMillis(), TimeUnit.MILLISECONDS)) {
        grpc.shutdownNow();
      }
    } catch (InterruptedException e) {
      grpc.shutdownNow();
      Thread.currentThread().interrupt();
    }
    if (healthServer != null) {
      healthServer.shutdownNow();
    }
    monitor.close();
    leadership.close();
    followUps.close();
    retention.close();
    placer.close();
    audit.close();
    try {
      await(vertx.close(), "shutdown");
    } catch (RuntimeException e) {
      LOG.warn("shutdown incomplete: {}", e.getMessage());
    }
    durable.close();
  }

  private static <T> T await(io.vertx.core.Future<T> future, String what) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(what + " interrupted", e);
    } catch (Exception e) {
      throw new IllegalStateException(what + " failed: " + e.getMessage(), e);
    }
  }
}
