package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import io.hearth.api.v1.CancelJobRequest;
import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobEvent;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.ListJobsRequest;
import io.hearth.api.v1.NodeKind;
import io.hearth.api.v1.SchedulerMessage;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.api.v1.SubmitJobsRequest;
import io.hearth.api.v1.Tier;
import io.hearth.api.v1.WatchJobsRequest;
import io.hearth.certs.DevCa;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Who may do what, over real mutual-TLS connections: the whole authorization matrix, callers
 * without a certificate or with a foreign CA's, the security class a node's certificate attests,
 * and the audit trail.
 */
class SecurityIT {

  static TestScheduler hearth;
  static Job acmeJob;
  static Job charityJob;
  static String grant;

  @BeforeAll
  static void start() {
    hearth = TestScheduler.start(TestScheduler.options().build());
    // A heater that wants heat, so the nonprofit can be granted donated compute.
    try (RawNode heater = new RawNode(hearth, "matrix-heater", "SEALED")) {
      heater.send(RawNode.hello("matrix-heater", NodeKind.NODE_KIND_RADIATOR, SecurityClass.SECURITY_CLASS_SEALED, 4)
          .setRegion("heat-only").build());
      heater.telemetry(600, 0);
      await().atMost(Duration.ofSeconds(10)).until(() -> hearth.scheduler.placer().view().readyNodes() >= 1);
      grant = hearth.grant("charity", 8);
    }
    // Jobs nobody can run (no node in region "vault"), so their states stay put during the matrix.
    acmeJob = hearth.jobs("tenant/acme").submitJob(SubmitJobRequest.newBuilder()
        .setSpec(TestScheduler.spec("acme-1", "true").addAllowedRegions("vault")).build()).getJob();
    charityJob = hearth.jobs("nonprofit/charity").submitJob(SubmitJobRequest.newBuilder()
        .setSpec(TestScheduler.spec("charity-1", "true").setTier(Tier.TIER_DONATED).setGrantId(grant)
            .addAllowedRegions("vault")).build())
        .getJob();
  }

  @AfterAll
  static void stop() {
    hearth.close();
  }

  private static Status.Code code(Runnable call) {
    try {
      call.run();
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  /** The first answer of a server stream (an event, the end of the stream, or an error). */
  private static Status.Code watchCode(ManagedChannel channel, WatchJobsRequest request) throws Exception {
    CompletableFuture<Status.Code> first = new CompletableFuture<>();
    io.grpc.Context.CancellableContext ctx = io.grpc.Context.current().withCancellation();
    ctx.run(() -> JobServiceGrpc.newStub(channel).watchJobs(request, new StreamObserver<>() {
      @Override public void onNext(JobEvent e) { first.complete(Status.Code.OK); }
      @Override public void onError(Throwable t) { first.complete(Status.fromThrowable(t).getCode()); }
      @Override public void onCompleted() { first.complete(Status.Code.OK); }
    }));
    try {
      // An accepted watch stays open and silent: OK unless it fails within a second.
      return first.completeOnTimeout(Status.Code.OK, 1, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS);
    } finally {
      ctx.cancel(null);
    }
  }

  private static Status.Code connectCode(ManagedChannel channel, String helloNodeId) throws Exception {
    try (RawNode node = new RawNode(channel)) {
      node.send(RawNode.hello(helloNodeId, NodeKind.NODE_KIND_DATACENTER, SecurityClass.SECURITY_CLASS_OPEN, 2).build());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline) {
        if (node.error != null) {
          return Status.fromThrowable(node.error).getCode();
        }
        SchedulerMessage m = node.received.poll(50, TimeUnit.MILLISECONDS);
        if (m != null && m.hasWelcome()) {
          return Status.Code.OK;
        }
      }
      throw new AssertionError("no answer to hello");
    }
  }

  @Test
  void theAuthorizationMatrixHoldsForEveryRpcRoleAndResource() throws Exception {
    String[] roles = {"tenant/acme", "nonprofit/charity", "node/matrix-node", "operator/ops"};
    Map<String, Map<String, Status.Code>> expected = new LinkedHashMap<>();
    Map<String, Map<String, Status.Code>> actual = new LinkedHashMap<>();
    // Columns: role; rows: RPC on own / foreign resource.
    Status.Code ok = Status.Code.OK;
    Status.Code denied = Status.Code.PERMISSION_DENIED;
    Status.Code notFound = Status.Code.NOT_FOUND;
    expect(expected, "SubmitJob paid tier", ok, denied, denied, denied);
    expect(expected, "SubmitJob DONATED", denied, ok, denied, denied);
    expect(expected, "SubmitJobs paid tier", ok, denied, denied, denied);
    expect(expected, "GetJob own", ok, ok, denied, ok);
    expect(expected, "GetJob foreign", notFound, notFound, denied, ok);
    expect(expected, "ListJobs", ok, ok, denied, ok);
    expect(expected, "CancelJob foreign", notFound, notFound, denied, denied);
    expect(expected, "CancelJob own", ok, ok, denied, denied);
    expect(expected, "WatchJobs all own", ok, ok, denied, ok);
    expect(expected, "WatchJobs foreign job", notFound, notFound, denied, ok);
    expect(expected, "Connect as self", denied, denied, ok, denied);
    expect(expected, "Connect as another node", denied, denied, denied, denied);
    expect(expected, "Health check", ok, ok, ok, ok);
    expect(expected, "Admin ListNodes", denied, denied, denied, ok);
    expect(expected, "Admin GetClusterStatus", denied, denied, denied, ok);
    expect(expected, "Admin DrainNode unknown node", denied, denied, denied, notFound);
    expect(expected, "Admin UndrainNode unknown node", denied, denied, denied, notFound);
    expect(expected, "Admin ApproveNonprofit", denied, denied, denied, ok);
    expect(expected, "Dashboard (HTTPS)", denied, denied, denied, ok);

    int n = 0;
    for (String role : roles) {
      ManagedChannel ch = hearth.channel(role);
      JobServiceGrpc.JobServiceBlockingStub jobs = hearth.jobs(role);
      boolean nonprofit = role.startsWith("nonprofit");
      String own = nonprofit ? charityJob.getJobId() : acmeJob.getJobId();
      String foreign = nonprofit ? acmeJob.getJobId() : charityJob.getJobId();
      if (role.startsWith("operator")) {
        own = acmeJob.getJobId();
      }
      String ownJob = own;
      String id = role.substring(role.indexOf('/') + 1);
      int k = n++;
      record(actual, role, "SubmitJob paid tier", code(() -> jobs.submitJob(SubmitJobRequest.newBuilder()
          .setSpec(TestScheduler.spec("m-paid-" + k, "true").addAllowedRegions("vault")).build())));
      record(actual, role, "SubmitJob DONATED", code(() -> jobs.submitJob(SubmitJobRequest.newBuilder()
          .setSpec(TestScheduler.spec("m-donated-" + k, "true").setTier(Tier.TIER_DONATED)
              .setGrantId(nonprofit ? grant : "").addAllowedRegions("vault")).build())));
      record(actual, role, "SubmitJobs paid tier", code(() -> jobs.submitJobs(SubmitJobsRequest.newBuilder()
          .addSpecs(TestScheduler.spec("m-batch-" + k, "true").addAllowedRegions("vault")).build())));
      record(actual, role, "GetJob own", code(() -> jobs.getJob(GetJobRequest.newBuilder().setJobId(ownJob).build())));
      record(actual, role, "GetJob foreign", code(() -> jobs.getJob(GetJobRequest.newBuilder().setJobId(foreign).build())));
      record(actual, role, "ListJobs", code(() -> {
        var page = jobs.listJobs(ListJobsRequest.newBuilder().setPageSize(1000).build());
        if (!role.startsWith("operator")) {
          assertThat(page.getJobsList()).allMatch(j -> j.getOwner().equals(id));
        } else {
          assertThat(page.getJobsList()).extracting(Job::getOwner).contains("acme", "charity");
        }
      }));
      record(actual, role, "CancelJob foreign", code(() -> jobs.cancelJob(CancelJobRequest.newBuilder().setJobId(foreign).build())));
      // Cancel a fresh job of the caller's own (for roles that can own jobs).
      Supplier<String> fresh = () -> {
        JobServiceGrpc.JobServiceBlockingStub owner = hearth.jobs(nonprofit ? "nonprofit/charity" : "tenant/acme");
        return owner.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec("m-cancel-" + k, "true")
            .setTier(nonprofit ? Tier.TIER_DONATED : Tier.TIER_FLEX).setGrantId(nonprofit ? grant : "")
            .addAllowedRegions("vault")).build()).getJob().getJobId();
      };
      String toCancel = fresh.get();
      record(actual, role, "CancelJob own", code(() -> jobs.cancelJob(CancelJobRequest.newBuilder().setJobId(toCancel).build())));
      record(actual, role, "WatchJobs all own", watchCode(ch, WatchJobsRequest.getDefaultInstance()));
      record(actual, role, "WatchJobs foreign job", watchCode(ch, WatchJobsRequest.newBuilder().addJobIds(foreign).build()));
      record(actual, role, "Connect as self", connectCode(ch, id));
      record(actual, role, "Connect as another node", connectCode(ch, "someone-else"));
      record(actual, role, "Health check", code(() -> HealthGrpc.newBlockingStub(ch).check(HealthCheckRequest.getDefaultInstance())));
      var admin = io.hearth.api.v1.AdminServiceGrpc.newBlockingStub(ch).withInterceptors(TestScheduler.PER_CALL_DEADLINE);
      record(actual, role, "Admin ListNodes", code(() -> admin.listNodes(io.hearth.api.v1.ListNodesRequest.getDefaultInstance())));
      record(actual, role, "Admin GetClusterStatus", code(() -> admin.getClusterStatus(
          io.hearth.api.v1.GetClusterStatusRequest.getDefaultInstance())));
      record(actual, role, "Admin DrainNode unknown node", code(() -> admin.drainNode(
          io.hearth.api.v1.DrainNodeRequest.newBuilder().setNodeId("no-such-node").build())));
      record(actual, role, "Admin UndrainNode unknown node", code(() -> admin.undrainNode(
          io.hearth.api.v1.UndrainNodeRequest.newBuilder().setNodeId("no-such-node").build())));
      record(actual, role, "Admin ApproveNonprofit", code(() -> admin.approveNonprofit(
          io.hearth.api.v1.ApproveNonprofitRequest.newBuilder().setNonprofitId("matrix-charity").setWeight(1).build())));
      record(actual, role, "Dashboard (HTTPS)", httpCode(TestScheduler.https(role), "/api/status"));
    }
    assertThat(actual).isEqualTo(expected);
    // The foreign jobs were never touched.
    JobServiceGrpc.JobServiceBlockingStub ops = hearth.jobs("operator/ops");
    assertThat(ops.getJob(GetJobRequest.newBuilder().setJobId(acmeJob.getJobId()).build()).getState()).isEqualTo(JobState.JOB_STATE_QUEUED);
    assertThat(ops.getJob(GetJobRequest.newBuilder().setJobId(charityJob.getJobId()).build()).getState()).isEqualTo(JobState.JOB_STATE_QUEUED);
  }

  /** The dashboard's answer as a gRPC-like code: 200 OK, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED. */
  private static Status.Code httpCode(java.net.http.HttpClient client, String path) {
    try {
      int status = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(hearth.dashboard(path))).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode();
      return switch (status) {
        case 200 -> Status.Code.OK;
        case 401 -> Status.Code.UNAUTHENTICATED;
        case 403 -> Status.Code.PERMISSION_DENIED;
        default -> Status.Code.UNKNOWN;
      };
    } catch (java.io.IOException e) {
      return Status.Code.UNAVAILABLE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void expect(Map<String, Map<String, Status.Code>> m, String rpc, Status.Code tenant,
      Status.Code nonprofit, Status.Code node, Status.Code operator) {
    record(m, "tenant/acme", rpc, tenant);
    record(m, "nonprofit/charity", rpc, nonprofit);
    record(m, "node/matrix-node", rpc, node);
    record(m, "operator/ops", rpc, operator);
  }

  private static void record(Map<String, Map<String, Status.Code>> m, String role, String rpc, Status.Code code) {
    m.computeIfAbsent(rpc, k -> new LinkedHashMap<>()).put(role, code);
  }

  @Test
  void withoutAClientCertificateOrWithAForeignCaEveryRpcIsUnauthenticated() throws Exception {
    DevCa stranger = DevCa.create("Some other CA");
    DevCa.Issued forged = stranger.issueClient("operator", "ops", null);
    DevCa.Issued serverAsClient = TestScheduler.CA.issueServer("impostor", List.of("localhost"), List.of("127.0.0.1"));
    Map<String, ManagedChannel> callers = new LinkedHashMap<>();
    callers.put("no certificate", hearth.newChannel(TestScheduler.credentials(null, null, TestScheduler.CA.certificatePem())));
    callers.put("another CA", hearth.newChannel(TestScheduler.credentials(forged.certificatePem(), forged.keyPem(),
        TestScheduler.CA.certificatePem())));
    callers.put("no hearth identity", hearth.newChannel(TestScheduler.credentials(serverAsClient.certificatePem(),
        serverAsClient.keyPem(), TestScheduler.CA.certificatePem())));
    for (Map.Entry<String, ManagedChannel> c : callers.entrySet()) {
      ManagedChannel ch = c.getValue();
      JobServiceGrpc.JobServiceBlockingStub jobs = JobServiceGrpc.newBlockingStub(ch).withInterceptors(TestScheduler.PER_CALL_DEADLINE);
      List<Status.Code> codes = new ArrayList<>();
      codes.add(code(() -> jobs.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec("x", "true")).build())));
      codes.add(code(() -> jobs.submitJobs(SubmitJobsRequest.newBuilder().addSpecs(TestScheduler.spec("y", "true")).build())));
      codes.add(code(() -> jobs.getJob(GetJobRequest.newBuilder().setJobId(acmeJob.getJobId()).build())));
      codes.add(code(() -> jobs.listJobs(ListJobsRequest.getDefaultInstance())));
      codes.add(code(() -> jobs.cancelJob(CancelJobRequest.newBuilder().setJobId(acmeJob.getJobId()).build())));
      codes.add(watchCode(ch, WatchJobsRequest.getDefaultInstance()));
      codes.add(connectCode(ch, "anyone"));
      codes.add(code(() -> HealthGrpc.newBlockingStub(ch).check(HealthCheckRequest.getDefaultInstance())));
      var admin = io.hearth.api.v1.AdminServiceGrpc.newBlockingStub(ch).withInterceptors(TestScheduler.PER_CALL_DEADLINE);
      codes.add(code(() -> admin.listNodes(io.hearth.api.v1.ListNodesRequest.getDefaultInstance())));
      codes.add(code(() -> admin.drainNode(io.hearth.api.v1.DrainNodeRequest.newBuilder().setNodeId("x").build())));
      assertThat(codes).as(c.getKey()).hasSize(10).containsOnly(Status.Code.UNAUTHENTICATED);
      ch.shutdownNow();
    }
    // The dashboard: no client certificate is a 401; a certificate from another CA fails the TLS handshake.
    assertThat(httpCode(TestScheduler.httpsWithout(), "/api/status")).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(hearth.jobs("operator/ops").getJob(GetJobRequest.newBuilder().setJobId(acmeJob.getJobId()).build())
        .getState()).isEqualTo(JobState.JOB_STATE_QUEUED);
  }

  @Test
  void aNodeIsPlacedByTheClassItsCertificateAttestsNotTheOneItClaims() throws Exception {
    Job certifiedOnly = hearth.jobs("tenant/acme").submitJob(SubmitJobRequest.newBuilder().setSpec(
        TestScheduler.spec("certified-only", "true").setMinSecurityClass(SecurityClass.SECURITY_CLASS_CERTIFIED)
            .addAllowedRegions("attest-test")).build()).getJob();
    try (RawNode liar = new RawNode(hearth, "liar-1", "SEALED")) {
      liar.send(RawNode.hello("liar-1", NodeKind.NODE_KIND_DATACENTER, SecurityClass.SECURITY_CLASS_CERTIFIED, 8)
          .setRegion("attest-test").build());
      SchedulerMessage welcome = liar.next(SchedulerMessage.BodyCase.WELCOME, Duration.ofSeconds(10));
      assertThat(welcome.getWelcome().getEffectiveSecurityClass()).isEqualTo(SecurityClass.SECURITY_CLASS_SEALED);
      JobServiceGrpc.JobServiceBlockingStub acme = hearth.jobs("tenant/acme");
      await().atMost(Duration.ofSeconds(10)).until(() -> acme.getJob(GetJobRequest.newBuilder()
          .setJobId(certifiedOnly.getJobId()).build()).getPending().getSummary().contains("below CERTIFIED"));
      assertThat(liar.received.stream().filter(SchedulerMessage::hasAssignment)).isEmpty();

      // A node whose certificate really says CERTIFIED takes it.
      try (RawNode real = new RawNode(hearth, "certified-1", "CERTIFIED")) {
        real.send(RawNode.hello("certified-1", NodeKind.NODE_KIND_DATACENTER, SecurityClass.SECURITY_CLASS_OPEN, 8)
            .setRegion("attest-test").build());
        var a = real.next(SchedulerMessage.BodyCase.ASSIGNMENT, Duration.ofSeconds(10)).getAssignment();
        assertThat(a.getJobId()).isEqualTo(certifiedOnly.getJobId());
      }
      assertThat(liar.received.stream().filter(SchedulerMessage::hasAssignment)).isEmpty();
    }
  }

  @Test
  void everySubmissionCancellationAndPlacementIsAudited() throws Exception {
    Job job = hearth.jobs("tenant/audited").submitJob(SubmitJobRequest.newBuilder()
        .setSpec(TestScheduler.spec("audit-1", "true").addAllowedRegions("audit-region")).build()).getJob();
    try (RawNode node = new RawNode(hearth, "audit-node", "OPEN")) {
      node.send(RawNode.hello("audit-node", NodeKind.NODE_KIND_DATACENTER, SecurityClass.SECURITY_CLASS_OPEN, 2)
          .setRegion("audit-region").build());
      node.next(SchedulerMessage.BodyCase.ASSIGNMENT, Duration.ofSeconds(10));
      hearth.jobs("tenant/audited").cancelJob(CancelJobRequest.newBuilder().setJobId(job.getJobId()).build());
    }
    Path audit = Path.of(hearth.scheduler.options().auditFile());
    await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(audit).contains("\"action\":\"cancel\",\"subject\":\"" + job.getJobId()));
    List<String> lines = Files.readAllLines(audit).stream().filter(l -> l.contains(job.getJobId())).toList();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).contains("\"identity\":\"tenant/audited\"", "\"action\":\"submit\"", "request_id=audit-1");
    assertThat(lines.get(1)).contains("\"identity\":\"scheduler\"", "\"action\":\"place\"", "node=audit-node");
    assertThat(lines.get(2)).contains("\"identity\":\"tenant/audited\"", "\"action\":\"cancel\"");
    assertThat(lines).allMatch(l -> l.matches("\\{\"time\":\"\\d{4}-\\d\\d-\\d\\dT[^\"]+Z\",.*"));
  }
}
