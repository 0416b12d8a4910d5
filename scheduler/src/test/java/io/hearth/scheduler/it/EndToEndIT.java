package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hearth.api.v1.Attempt;
import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.NodeKind;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.SubmitJobsRequest;
import io.hearth.api.v1.SubmitJobResponse;
import io.hearth.api.v1.Tier;
import io.hearth.worker.agent.CompletedAttempt;
import io.hearth.worker.agent.NodeAgent;
import io.hearth.worker.sim.FleetSimulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path on one machine: a scheduler member, a simulated winter fleet of real agents over
 * real gRPC streams, 200 jobs across tiers and security classes run as real OS processes.
 */
class EndToEndIT {

  static TestScheduler hearth;
  static FleetSimulator fleet;
  @TempDir static Path work;

  @BeforeAll
  static void start() {
    hearth = TestScheduler.start(TestScheduler.options().build());
    fleet = FleetSimulator.builder()
        .scheduler("127.0.0.1:" + hearth.port())
        .count(40)
        .seed(7)
        .outdoorC(5)
        .workDir(work)
        .telemetryInterval(Duration.ofMillis(200))
        .credentials((id, cls) -> TestScheduler.credentials("node/" + id + "/" + cls.name().substring("SECURITY_CLASS_".length())))
        .build()
        .start();
    await().atMost(Duration.ofSeconds(30)).until(() -> fleet.connectedCount() == 40);
  }

  @AfterAll
  static void stop() {
    fleet.close();
    hearth.close();
  }

  @Test
  void twoHundredJobsAcrossTiersAndClassesAllSucceedOnNodesOfTheirClass() throws Exception {
    String grant = hearth.grant("open-renders", 100);
    Random random = new Random(42);
    Tier[] paid = {Tier.TIER_RESERVED, Tier.TIER_ON_DEMAND, Tier.TIER_FLEX};
    SecurityClass[] classes = {SecurityClass.SECURITY_CLASS_OPEN, SecurityClass.SECURITY_CLASS_SEALED,
        SecurityClass.SECURITY_CLASS_CONTROLLED, SecurityClass.SECURITY_CLASS_CERTIFIED};
    List<JobSpec> bank = new ArrayList<>();
    List<JobSpec> charity = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      boolean donated = i % 10 == 9;
      JobSpec.Builder spec = TestScheduler.spec("e2e-" + i, "sh", "-c", "echo hello from $HEARTH_JOB_ID")
          .setTier(donated ? Tier.TIER_DONATED : paid[random.nextInt(paid.length)])
          .setGrantId(donated ? grant : "")
          // Donated work runs only where heat is wanted, and no heater here is CERTIFIED.
          .setMinSecurityClass(donated ? SecurityClass.SECURITY_CLASS_SEALED : classes[random.nextInt(classes.length)]);
      (donated ? charity : bank).add(spec.build());
    }
    List<String> ids = new ArrayList<>();
    for (SubmitJobResponse r : hearth.jobs("tenant/acme-bank")
        .submitJobs(SubmitJobsRequest.newBuilder().addAllSpecs(bank).build()).getResultsList()) {
      ids.add(r.getJob().getJobId());
    }
    JobServiceGrpc.JobServiceBlockingStub nonprofit = hearth.jobs("nonprofit/open-renders");
    for (SubmitJobResponse r : nonprofit.submitJobs(SubmitJobsRequest.newBuilder().addAllSpecs(charity).build())
        .getResultsList()) {
      ids.add(r.getJob().getJobId());
    }
    assertThat(ids).hasSize(200).doesNotHaveDuplicates();

    Map<String, NodeAgent> nodes = new HashMap<>();
    for (NodeAgent a : fleet.agents()) {
      nodes.put(a.nodeId(), a);
    }
    JobServiceGrpc.JobServiceBlockingStub operator = hearth.jobs("operator/ops");
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> ids.stream()
        .allMatch(id -> operator.getJob(GetJobRequest.newBuilder().setJobId(id).build()).getState()
            == JobState.JOB_STATE_SUCCEEDED));

    int certifiedOnDatacenter = 0;
    for (String id : ids) {
      Job job = operator.getJob(GetJobRequest.newBuilder().setJobId(id).build());
      assertThat(job.getAttemptsList()).isNotEmpty();
      for (Attempt a : job.getAttemptsList()) {
        NodeAgent node = nodes.get(a.getNodeId());
        assertThat(node).as("node of %s", id).isNotNull();
        assertThat(node.hello().getSecurityClassValue())
            .as("class of node %s running %s", a.getNodeId(), id)
            .isGreaterThanOrEqualTo(job.getSpec().getMinSecurityClassValue());
        if (job.getSpec().getTier() == Tier.TIER_DONATED) {
          assertThat(node.hello().getKind()).isNotEqualTo(NodeKind.NODE_KIND_DATACENTER);
        }
      }
      Attempt last = job.getAttempts(job.getAttemptsCount() - 1);
      assertThat(last.getExitCode()).isZero();
      if (job.getSpec().getMinSecurityClass() == SecurityClass.SECURITY_CLASS_CERTIFIED) {
        assertThat(nodes.get(last.getNodeId()).hello().getKind()).isEqualTo(NodeKind.NODE_KIND_DATACENTER);
        certifiedOnDatacenter++;
      }
      // The worker's own record agrees, and the process really ran: its stdout is on the node's disk.
      NodeAgent node = nodes.get(last.getNodeId());
      assertThat(node.completedAttempts()).anySatisfy(c -> {
        assertThat(c.jobId()).isEqualTo(id);
        assertThat(c.fencingToken()).isEqualTo(last.getFencingToken());
        assertThat(c.state()).isEqualTo(io.hearth.api.v1.AttemptState.ATTEMPT_STATE_SUCCEEDED);
      });
    }
    assertThat(certifiedOnDatacenter).isGreaterThan(0);
    long withOutput;
    try (var files = Files.walk(work)) {
      withOutput = files.filter(p -> p.getFileName().toString().startsWith("stdout"))
          .filter(p -> {
            try {
              return Files.readString(p).startsWith("hello from job-");
            } catch (java.io.IOException e) {
              return false;
            }
          }).count();
    }
    assertThat(withOutput).isGreaterThanOrEqualTo(200);
  }

  @Test
  void aCertifiedJobLandsOnADataCenterNode() {
    Job job = hearth.jobs("tenant/acme-bank").submitJob(io.hearth.api.v1.SubmitJobRequest.newBuilder()
        .setSpec(TestScheduler.spec("certified-1", "true").setMinSecurityClass(SecurityClass.SECURITY_CLASS_CERTIFIED))
        .build()).getJob();
    JobServiceGrpc.JobServiceBlockingStub acme = hearth.jobs("tenant/acme-bank");
    await().atMost(Duration.ofSeconds(30)).until(() ->
        acme.getJob(GetJobRequest.newBuilder().setJobId(job.getJobId()).build()).getState() == JobState.JOB_STATE_SUCCEEDED);
    Job done = acme.getJob(GetJobRequest.newBuilder().setJobId(job.getJobId()).build());
    NodeAgent node = fleet.agent(done.getAttempts(0).getNodeId());
    assertThat(node.hello().getKind()).isEqualTo(NodeKind.NODE_KIND_DATACENTER);
    assertThat(node.completedAttempts()).extracting(CompletedAttempt::jobId).contains(job.getJobId());
  }
}
