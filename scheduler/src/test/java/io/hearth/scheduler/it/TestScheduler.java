package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.Tier;
import io.hearth.api.v1.Workload;
import io.hearth.certs.DevCa;
import io.hearth.scheduler.HearthScheduler;
import io.hearth.scheduler.config.SchedulerOptions;
import io.hearth.scheduler.job.JobLifecycle;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A real scheduler member on loopback for integration tests: mutual TLS with a test CA, free ports,
 * its own Hazelcast cluster name (so members of parallel tests never join each other), and one
 * client channel per identity (each with that identity's certificate).
 */
public final class TestScheduler implements AutoCloseable {

  /** The CA of every test scheduler and client in this JVM. */
  public static final DevCa CA = DevCa.create("Hearth test CA");
  private static final Path TLS = writeServerTls();

  public final HearthScheduler scheduler;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

  private TestScheduler(HearthScheduler scheduler) {
    this.scheduler = scheduler;
  }

  private static Path writeServerTls() {
    try {
      Path dir = Files.createTempDirectory("hearth-test-tls-");
      CA.save(dir);
      CA.issueServer("scheduler", List.of("localhost"), List.of("127.0.0.1")).save(dir, "scheduler");
      dir.toFile().deleteOnExit();
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static SchedulerOptions.Builder options() {
    try {
      return SchedulerOptions.builder()
          .grpcPort(0)
          .httpPort(0)
          .clusterName("hearth-test-" + UUID.randomUUID())
          .clusterPort(15701)
          .nodeTimeout(Duration.ofSeconds(3))
          .telemetryInterval(Duration.ofMillis(200))
          .sweepInterval(Duration.ofMillis(200))
          .tls(TLS.resolve("scheduler.pem").toString(), TLS.resolve("scheduler-key.pem").toString(),
              TLS.resolve(DevCa.CA_CERT).toString())
          .auditFile(Files.createTempFile("hearth-audit-", ".log").toString())
          .storeDataDir(Files.createTempDirectory("hearth-db-").toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static TestScheduler start(SchedulerOptions options) {
    return new TestScheduler(HearthScheduler.start(options));
  }

  public int port() {
    return scheduler.grpcPort();
  }

  /** TLS credentials of {@code role/id}; node identities are attested SEALED unless given as node/id/CLASS. */
  public static ChannelCredentials credentials(String identity) {
    String[] parts = identity.split("/");
    String cls = parts[0].equals("node") ? (parts.length > 2 ? parts[2] : "SEALED") : null;
    DevCa.Issued issued = CA.issueClient(parts[0], parts[1], cls);
    return credentials(issued.certificatePem(), issued.keyPem(), CA.certificatePem());
  }

  static ChannelCredentials credentials(String cert, String key, String ca) {
    try {
      TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder().trustManager(stream(ca));
      if (cert != null) {
        b.keyManager(stream(cert), stream(key));
      }
      return b.build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ByteArrayInputStream stream(String pem) {
    return new ByteArrayInputStream(pem.getBytes(StandardCharsets.UTF_8));
  }

  /** A channel authenticated as {@code identity} (e.g. tenant/acme, node/n1/CERTIFIED), shared per identity. */
  public ManagedChannel channel(String identity) {
    return channels.computeIfAbsent(identity, id -> newChannel(credentials(id)));
  }

  public ManagedChannel newChannel(ChannelCredentials credentials) {
    return Grpc.newChannelBuilderForAddress("127.0.0.1", port(), credentials).build();
  }

  /** A blocking JobService stub for {@code identity}; every call gets its own 30 s deadline. */
  public JobServiceGrpc.JobServiceBlockingStub jobs(String identity) {
    return JobServiceGrpc.newBlockingStub(channel(identity)).withInterceptors(PER_CALL_DEADLINE);
  }

  static final io.grpc.ClientInterceptor PER_CALL_DEADLINE = new io.grpc.ClientInterceptor() {
    @Override
    public <Q, R> io.grpc.ClientCall<Q, R> interceptCall(io.grpc.MethodDescriptor<Q, R> method,
        io.grpc.CallOptions options, io.grpc.Channel next) {
      return next.newCall(method, options.withDeadlineAfter(30, TimeUnit.SECONDS));
    }
  };

  /** The dashboard's address for {@code path}: HTTPS with mutual TLS. */
  public String dashboard(String path) {
    return "https://127.0.0.1:" + scheduler.httpPort() + path;
  }

  /** An HTTPS client that presents {@code identity}'s certificate (e.g. operator/ops) and trusts the test CA. */
  public static java.net.http.HttpClient https(String identity) {
    return java.net.http.HttpClient.newBuilder().sslContext(sslContext(identity)).build();
  }

  /** An HTTPS client that trusts the test CA and presents no certificate. */
  public static java.net.http.HttpClient httpsWithout() {
    return java.net.http.HttpClient.newBuilder().sslContext(sslContext(null)).build();
  }

  /** A TLS context with {@code identity}'s certificate and key (none when null), trusting the test CA. */
  public static javax.net.ssl.SSLContext sslContext(String identity) {
    try {
      java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("hearth-ca", CA.certificate());
      javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
      tmf.init(trust);
      javax.net.ssl.KeyManager[] keys = null;
      if (identity != null) {
        String[] parts = identity.split("/");
        DevCa.Issued issued = CA.issueClient(parts[0], parts[1],
            parts[0].equals("node") ? (parts.length > 2 ? parts[2] : "SEALED") : null);
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("me", issued.key(), new char[0], new java.security.cert.Certificate[] {issued.certificate(), CA.certificate()});
        javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance("PKIX");
        kmf.init(ks, new char[0]);
        keys = kmf.getKeyManagers();
      }
      javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
      ctx.init(keys, tmf.getTrustManagers(), null);
      return ctx;
    } catch (java.security.GeneralSecurityException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Approves {@code nonprofitId} (weight 1, as operator/ops), claims up to {@code coreHours} of the
   * current donation offer for it and returns its grant id. The fleet must have heater capacity.
   */
  public String grant(String nonprofitId, double coreHours) {
    io.hearth.api.v1.AdminServiceGrpc.newBlockingStub(channel("operator/ops")).withInterceptors(PER_CALL_DEADLINE)
        .approveNonprofit(io.hearth.api.v1.ApproveNonprofitRequest.newBuilder().setNonprofitId(nonprofitId).setWeight(1).build());
    var donations = io.hearth.api.v1.DonationServiceGrpc.newBlockingStub(channel("nonprofit/" + nonprofitId))
        .withInterceptors(PER_CALL_DEADLINE);
    io.hearth.api.v1.Offer offer = donations.listOffers(io.hearth.api.v1.ListOffersRequest.getDefaultInstance()).getOffers(0);
    if (offer.getCoreHours() < 1) {
      throw new IllegalStateException("no donation capacity to claim (" + offer.getBasis() + "): start heater nodes first");
    }
    return donations.claimOffer(io.hearth.api.v1.ClaimOfferRequest.newBuilder().setOfferId(offer.getOfferId())
        .setCoreHours(Math.min(coreHours, offer.getCoreHours())).build()).getGrantId();
  }

  /** Waits up to {@code atMost} for the job to end, checks it ended in {@code state}, and returns it. */
  public static Job awaitEnded(JobServiceGrpc.JobServiceBlockingStub stub, String jobId, JobState state, Duration atMost) {
    GetJobRequest get = GetJobRequest.newBuilder().setJobId(jobId).build();
    await().atMost(atMost).pollInterval(Duration.ofMillis(100)).until(() -> JobLifecycle.isTerminal(stub.getJob(get).getState()));
    Job j = stub.getJob(get);
    assertThat(j.getState()).as("%s: %s", jobId, j.getStateReason()).isEqualTo(state);
    return j;
  }

  /** A small valid spec running {@code argv}. */
  public static JobSpec.Builder spec(String requestId, String... argv) {
    return JobSpec.newBuilder()
        .setRequestId(requestId)
        .setName(requestId)
        .setTier(Tier.TIER_ON_DEMAND)
        .setMinSecurityClass(SecurityClass.SECURITY_CLASS_OPEN)
        .setCores(1)
        .setMemoryMib(64)
        .setWorkload(Workload.newBuilder().addAllArgv(java.util.List.of(argv)));
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    scheduler.close();
  }
}
