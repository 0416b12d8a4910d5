package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.hearth.api.v1.AdminServiceGrpc;
import io.hearth.api.v1.ApproveNonprofitRequest;
import io.hearth.api.v1.ClusterStatus;
import io.hearth.api.v1.DrainNodeRequest;
import io.hearth.api.v1.GetClusterStatusRequest;
import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.ListNodesRequest;
import io.hearth.api.v1.ListNodesResponse;
import io.hearth.api.v1.NodeInfo;
import io.hearth.api.v1.NodeState;
import io.hearth.api.v1.Nonprofit;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.api.v1.UndrainNodeRequest;
import io.hearth.worker.agent.NodeAgent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hearth.v1.AdminService} against a real scheduler and real agents: only operators pass,
 * bad input names the field and bound, a drained node finishes its work, takes no new work and
 * stays drained when it reconnects, approvals land in the cluster state.
 */
class AdminServiceIT {

  static TestScheduler hearth;
  static final AtomicReference<NodeAgent> dc1 = new AtomicReference<>();
  static NodeAgent dc2;
  @TempDir static Path work;

  @BeforeAll
  static void start() {
    hearth = TestScheduler.start(TestScheduler.options().dashboardRefreshInterval(Duration.ofMillis(300)).build());
    dc1.set(Agents.datacenter(hearth, "dc-1", work, 8, "fr-paris"));
    dc2 = Agents.datacenter(hearth, "dc-2", work, 4, "fr-paris");
    await().atMost(Duration.ofSeconds(20)).until(() -> hearth.scheduler.placer().view().readyNodes() == 2);
  }

  @AfterAll
  static void stop() {
    dc1.get().close();
    dc2.close();
    hearth.close();
  }

  private static AdminServiceGrpc.AdminServiceBlockingStub admin(String identity) {
    return AdminServiceGrpc.newBlockingStub(hearth.channel(identity)).withInterceptors(TestScheduler.PER_CALL_DEADLINE);
  }

  private static AdminServiceGrpc.AdminServiceBlockingStub operator() {
    return admin("operator/ops");
  }

  private static NodeInfo node(String id) {
    ListNodesResponse page = operator().listNodes(ListNodesRequest.newBuilder().setPageSize(1000).build());
    return page.getNodesList().stream().filter(n -> n.getNodeId().equals(id)).findFirst().orElseThrow();
  }

  private static String runSleeper(String requestId) {
    Job job = hearth.jobs("tenant/acme").submitJob(SubmitJobRequest.newBuilder()
        .setSpec(TestScheduler.spec(requestId, "sleep", "30")).build()).getJob();
    await().atMost(Duration.ofSeconds(20)).until(() -> get(job.getJobId()).getState() == JobState.JOB_STATE_RUNNING);
    return get(job.getJobId()).getAttempts(0).getNodeId();
  }

  private static Job get(String jobId) {
    return hearth.jobs("tenant/acme").getJob(GetJobRequest.newBuilder().setJobId(jobId).build());
  }

  private static void assertStatus(Runnable call, Status.Code code, String message) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(code);
      assertThat(e.getStatus().getDescription()).contains(message);
    });
  }

  @Test
  void onlyOperatorsMayCallItAndBadInputNamesTheFieldAndItsBound() {
    assertStatus(() -> admin("tenant/acme").listNodes(ListNodesRequest.getDefaultInstance()),
        Status.Code.PERMISSION_DENIED, "role tenant cannot administer Hearth (expected: operator)");
    assertStatus(() -> admin("node/dc-1").drainNode(DrainNodeRequest.newBuilder().setNodeId("dc-1").build()),
        Status.Code.PERMISSION_DENIED, "role node");
    assertStatus(() -> admin("nonprofit/x").approveNonprofit(ApproveNonprofitRequest.newBuilder()
        .setNonprofitId("x").setWeight(1).build()), Status.Code.PERMISSION_DENIED, "role nonprofit");
    assertStatus(() -> operator().drainNode(DrainNodeRequest.getDefaultInstance()),
        Status.Code.INVALID_ARGUMENT, "node_id: 0 characters (expected: 1..128)");
    assertStatus(() -> operator().drainNode(DrainNodeRequest.newBuilder().setNodeId("no-such-node").build()),
        Status.Code.NOT_FOUND, "node no-such-node not found");
    assertStatus(() -> operator().listNodes(ListNodesRequest.newBuilder().setPageSize(1001).build()),
        Status.Code.INVALID_ARGUMENT, "page_size: 1001 (expected: 1..1000)");
    assertStatus(() -> operator().approveNonprofit(ApproveNonprofitRequest.newBuilder()
        .setNonprofitId("open-renders").setWeight(0).build()), Status.Code.INVALID_ARGUMENT, "weight: 0 (expected: 1..1000)");
    assertStatus(() -> operator().approveNonprofit(ApproveNonprofitRequest.newBuilder()
        .setNonprofitId("open renders").setWeight(2).build()), Status.Code.INVALID_ARGUMENT, "nonprofit_id: 'open renders'");
  }

  @Test
  void aDrainedNodeFinishesItsWorkTakesNoNewWorkAndStaysDrainedAcrossReconnects() throws Exception {
    // Data-center placement prefers the node with the most free cores: dc-1 (8) first.
    String first = runSleeper("drain-0");
    assertThat(first).isEqualTo("dc-1");

    NodeInfo drained = operator().drainNode(DrainNodeRequest.newBuilder().setNodeId("dc-1").build());
    assertThat(drained.getState()).isEqualTo(NodeState.NODE_STATE_DRAINING);
    assertThat(drained.getDrained()).isTrue();
    assertThat(drained.getRunningAttempts()).isEqualTo(1);
    assertThat(runSleeper("drain-1")).isEqualTo("dc-2");

    // The node goes away and comes back: still drained.
    dc1.get().close();
    await().atMost(Duration.ofSeconds(10)).until(() -> node("dc-1").getState() == NodeState.NODE_STATE_LOST);
    dc1.set(Agents.datacenter(hearth, "dc-1", work, 8, "fr-paris"));
    await().atMost(Duration.ofSeconds(20)).until(() -> dc1.get().isConnected()
        && node("dc-1").getState() == NodeState.NODE_STATE_DRAINING);
    assertThat(runSleeper("drain-2")).isEqualTo("dc-2");

    NodeInfo back = operator().undrainNode(UndrainNodeRequest.newBuilder().setNodeId("dc-1").build());
    assertThat(back.getState()).isEqualTo(NodeState.NODE_STATE_READY);
    assertThat(back.getDrained()).isFalse();
    assertThat(runSleeper("drain-3")).isEqualTo("dc-1");
  }

  @Test
  void approvalsLandInTheClusterStateAndTheStatusCountsTheFleet() throws Exception {
    Nonprofit approved = operator().approveNonprofit(ApproveNonprofitRequest.newBuilder()
        .setNonprofitId("open-renders").setWeight(3).build());
    assertThat(approved.getApprovedBy()).isEqualTo("operator/ops");
    assertThat(approved.getWeight()).isEqualTo(3);
    // Read back from the Hazelcast map through the dashboard's view of it.
    HttpResponse<String> listed = TestScheduler.https("operator/ops").send(HttpRequest.newBuilder(
        URI.create(hearth.dashboard("/api/nonprofits"))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(listed.body()).contains("\"nonprofitId\":\"open-renders\"", "\"weight\":3");

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      ClusterStatus status = operator().getClusterStatus(GetClusterStatusRequest.getDefaultInstance());
      assertThat(status.getMembers()).isEqualTo(1);
      assertThat(status.getNodesList().stream().mapToInt(n -> n.getNodes()).sum()).isEqualTo(2);
      assertThat(status.getPendingCount()).isEqualTo(4);
      // One count per job state, BLOCKED included.
      assertThat(status.getJobsCount()).isEqualTo(8);
      assertThat(status.getHeatWantedWatts()).isZero();
    });
  }
}
