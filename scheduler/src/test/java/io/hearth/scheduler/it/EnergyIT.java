package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.grpc.stub.StreamObserver;
import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobEvent;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.NodeKind;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.api.v1.WatchJobsRequest;
import io.hearth.worker.agent.NodeAgent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-job energy facts for ESG reports: every finished job shows the energy it drew, the part that
 * heated a room that wanted it and the CO2 that heat avoided; summed over the run, the jobs' energy
 * matches what the nodes themselves measured.
 */
class EnergyIT {

  @TempDir Path work;

  @Test
  void finishedJobsShowEnergyUsefulHeatAndCo2MatchingTheNodesOwnMeasurements() {
    try (TestScheduler hearth = TestScheduler.start(TestScheduler.options().build());
        NodeAgent rad = Agents.radiator(hearth, "rad-e", work, 5, 45, SecurityClass.SECURITY_CLASS_SEALED);
        NodeAgent dc = Agents.datacenter(hearth, "dc-e", work, 8, "fr-paris")) {
      await().atMost(Duration.ofSeconds(20)).until(() -> hearth.scheduler.placer().view().readyNodes() == 2);
      JobServiceGrpc.JobServiceBlockingStub bank = hearth.jobs("tenant/esg-bank");
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        // The radiator takes what its room wants (about four 150 W jobs); the rest goes to the data center.
        ids.add(bank.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec("esg-" + i, "sleep", "2")
            .setMinSecurityClass(SecurityClass.SECURITY_CLASS_SEALED)).build()).getJob().getJobId());
      }
      // Watched from before they end (each sleeps 2 s once it runs).
      List<JobEvent> events = new CopyOnWriteArrayList<>();
      JobServiceGrpc.newStub(hearth.channel("tenant/esg-bank")).watchJobs(
          WatchJobsRequest.newBuilder().addAllJobIds(ids).build(), new StreamObserver<>() {
            @Override public void onNext(JobEvent e) { events.add(e); }
            @Override public void onError(Throwable t) { }
            @Override public void onCompleted() { }
          });
      await().atMost(Duration.ofSeconds(60)).until(() -> ids.stream().allMatch(id ->
          bank.getJob(GetJobRequest.newBuilder().setJobId(id).build()).getState() == JobState.JOB_STATE_SUCCEEDED));
      await().atMost(Duration.ofSeconds(10)).until(() -> ids.stream().allMatch(id ->
          bank.getJob(GetJobRequest.newBuilder().setJobId(id).build()).getEnergy().getEnergyWh() > 0));

      double jobsWh = 0;
      int onRadiator = 0;
      for (String id : ids) {
        Job j = bank.getJob(GetJobRequest.newBuilder().setJobId(id).build());
        var e = j.getEnergy();
        jobsWh += e.getEnergyWh();
        assertThat(e.getUsefulHeatWh()).isBetween(0.0, e.getEnergyWh());
        assertThat(e.getCo2AvoidedG()).isCloseTo(e.getUsefulHeatWh() / 1000 * 252, within(1e-9));
        assertThat(e.getAssumptions()).contains("252 gCO2 per kWh of heat displaced");
        boolean radiator = j.getAttempts(0).getNodeId().equals("rad-e");
        if (radiator) {
          onRadiator++;
          // A winter room that wants the heat: nearly all of it is useful.
          assertThat(e.getUsefulHeatWh()).isGreaterThan(0.9 * e.getEnergyWh());
          assertThat(e.getCo2AvoidedG()).isPositive();
        } else {
          assertThat(e.getUsefulHeatWh()).isZero();
        }
        // 1 core x 150 W (radiator) or 20 W (data center) for about 2 s.
        double watts = radiator ? 150 : 20;
        assertThat(e.getEnergyWh()).isCloseTo(watts * 2 / 3600, within(watts * 1.5 / 3600));
      }
      assertThat(onRadiator).isBetween(1, 11);
      // The member holding a node's stream records the energy with the attempt's end, in one change:
      // each job's SUCCEEDED event already carries its energy facts, and no change follows it.
      await().atMost(Duration.ofSeconds(10)).until(() -> events.stream()
          .filter(e -> e.getJob().getState() == JobState.JOB_STATE_SUCCEEDED).count() >= ids.size());
      for (String id : ids) {
        List<JobEvent> ofJob = events.stream().filter(e -> e.getJob().getJobId().equals(id)).toList();
        assertThat(ofJob).as("events of %s", id).isNotEmpty();
        Job last = ofJob.get(ofJob.size() - 1).getJob();
        assertThat(last.getState()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
        assertThat(last.getEnergy().getEnergyWh()).as("energy with the end of %s", id).isPositive();
        assertThat(ofJob.stream().filter(e -> e.getJob().getState() == JobState.JOB_STATE_SUCCEEDED)).hasSize(1);
      }
      double nodesWh = rad.energyWh() + dc.energyWh();
      System.out.printf("energy: jobs %.4f Wh, nodes' own telemetry %.4f Wh (%.2f %%)%n", jobsWh, nodesWh,
          100 * Math.abs(jobsWh - nodesWh) / nodesWh);
      assertThat(jobsWh).isCloseTo(nodesWh, within(0.05 * nodesWh));
    }
  }
}
