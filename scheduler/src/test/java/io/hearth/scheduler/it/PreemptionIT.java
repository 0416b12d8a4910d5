package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hearth.api.v1.Attempt;
import io.hearth.api.v1.AttemptState;
import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.api.v1.Tier;
import io.hearth.worker.agent.CompletedAttempt;
import io.hearth.worker.agent.NodeAgent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tiers in winter: donated work fills the radiators; paid work that fits nowhere preempts it at
 * once (never the other way round), and the donated jobs resume when the paid ones end.
 */
class PreemptionIT {

  @TempDir Path work;

  @Test
  void paidWorkPreemptsDonatedWorkWithinOneCycleAndDonatedWorkResumesAfter() {
    try (TestScheduler hearth = TestScheduler.start(TestScheduler.options()
            .preemptionGrace(Duration.ofMillis(500)).build());
        // Two winter rooms wanting ~675 W each: room for four 150 W jobs apiece, and no data center.
        NodeAgent r1 = Agents.radiator(hearth, "rad-a", work, 5, 45, SecurityClass.SECURITY_CLASS_SEALED);
        NodeAgent r2 = Agents.radiator(hearth, "rad-b", work, 5, 45, SecurityClass.SECURITY_CLASS_SEALED)) {
      await().atMost(Duration.ofSeconds(20)).until(() -> hearth.scheduler.placer().view().readyNodes() == 2);
      JobServiceGrpc.JobServiceBlockingStub charity = hearth.jobs("nonprofit/renders");
      JobServiceGrpc.JobServiceBlockingStub bank = hearth.jobs("tenant/bank");
      JobServiceGrpc.JobServiceBlockingStub ops = hearth.jobs("operator/ops");

      String grant = hearth.grant("renders", 30);
      List<String> donated = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        donated.add(charity.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec("render-" + i, "sleep", "30")
            .setTier(Tier.TIER_DONATED).setGrantId(grant).setMinSecurityClass(SecurityClass.SECURITY_CLASS_SEALED)).build())
            .getJob().getJobId());
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> donated.stream()
          .allMatch(id -> state(ops, id) == JobState.JOB_STATE_RUNNING));

      // Paid work arrives; every core is busy with donated work.
      List<String> paid = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        paid.add(bank.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec("risk-" + i, "sleep", "3")
            .setTier(Tier.TIER_ON_DEMAND).setMinSecurityClass(SecurityClass.SECURITY_CLASS_SEALED)).build()).getJob().getJobId());
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> paid.stream().allMatch(id -> state(ops, id) == JobState.JOB_STATE_RUNNING
          || state(ops, id) == JobState.JOB_STATE_ASSIGNED));
      List<String> preempted = donated.stream().filter(id -> get(ops, id).getAttemptsList().stream()
          .anyMatch(a -> a.getState() == AttemptState.ATTEMPT_STATE_PREEMPTED)).toList();
      assertThat(preempted).hasSize(2);
      for (String id : preempted) {
        Job j = get(ops, id);
        assertThat(j.getState()).isIn(JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_ASSIGNED, JobState.JOB_STATE_RUNNING);
        Attempt first = j.getAttempts(0);
        assertThat(first.getReason()).isEqualTo("preempted for a ON_DEMAND job");
      }
      // The preempted processes were really stopped on their nodes.
      await().atMost(Duration.ofSeconds(10)).until(() -> preempted.stream().allMatch(id ->
          completedOn(r1, id) || completedOn(r2, id)));

      // When the paid jobs end, the preempted donated jobs run again (a preemption uses no attempt).
      await().atMost(Duration.ofSeconds(30)).until(() -> paid.stream().allMatch(id -> state(ops, id) == JobState.JOB_STATE_SUCCEEDED));
      await().atMost(Duration.ofSeconds(20)).until(() -> preempted.stream().allMatch(id -> {
        Job j = get(ops, id);
        return j.getState() == JobState.JOB_STATE_RUNNING && j.getAttemptsCount() == 2;
      }));
      // Paid work never was the victim.
      for (String id : paid) {
        assertThat(get(ops, id).getAttemptsList()).extracting(Attempt::getState).containsExactly(AttemptState.ATTEMPT_STATE_SUCCEEDED);
      }
    }
  }

  @Test
  void equalOrHigherTiersAreNeverPreempted() {
    try (TestScheduler hearth = TestScheduler.start(TestScheduler.options().build());
        NodeAgent dc = Agents.datacenter(hearth, "dc-full", work, 2, "fr-paris")) {
      await().atMost(Duration.ofSeconds(20)).until(() -> hearth.scheduler.placer().view().readyNodes() == 1);
      JobServiceGrpc.JobServiceBlockingStub bank = hearth.jobs("tenant/bank");
      String reserved = bank.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec("reserved", "sleep", "20")
          .setTier(Tier.TIER_RESERVED).setCores(2)).build()).getJob().getJobId();
      await().atMost(Duration.ofSeconds(10)).until(() -> state(bank, reserved) == JobState.JOB_STATE_RUNNING);
      String onDemand = bank.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec("on-demand", "true")
          .setTier(Tier.TIER_ON_DEMAND)).build()).getJob().getJobId();
      String sameTier = bank.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec("reserved-2", "true")
          .setTier(Tier.TIER_RESERVED)).build()).getJob().getJobId();
      await().atMost(Duration.ofSeconds(10)).until(() -> get(bank, onDemand).hasPending() && get(bank, sameTier).hasPending());
      assertThat(get(bank, reserved).getAttemptsList()).hasSize(1);
      assertThat(get(bank, reserved).getState()).isEqualTo(JobState.JOB_STATE_RUNNING);
      assertThat(get(bank, onDemand).getPending().getSummary()).contains("without enough free cores");
    }
  }

  private static boolean completedOn(NodeAgent agent, String jobId) {
    return agent.completedAttempts().stream().anyMatch(c -> c.jobId().equals(jobId)
        && c.state() == AttemptState.ATTEMPT_STATE_PREEMPTED);
  }

  private static Job get(JobServiceGrpc.JobServiceBlockingStub stub, String id) {
    return stub.getJob(GetJobRequest.newBuilder().setJobId(id).build());
  }

  private static JobState state(JobServiceGrpc.JobServiceBlockingStub stub, String id) {
    return get(stub, id).getState();
  }
}
