package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.worker.agent.NodeAgent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Work follows heat: in winter paid jobs fill the room that wants heat most up to its demand, then go
 * to the next; when every room is warm (25 C outdoors) the same jobs go to data-center nodes.
 */
class HeatPlacementIT {

  @TempDir Path work;

  /** Three rooms losing 20, 30 and 45 W/K at 5 C outdoors want about 300, 450 and 675 W; jobs draw 150 W. */
  private List<NodeAgent> fleet(TestScheduler hearth, double outdoorC) {
    List<NodeAgent> agents = new ArrayList<>();
    agents.add(Agents.radiator(hearth, "rad-small", work, outdoorC, 20, SecurityClass.SECURITY_CLASS_SEALED));
    agents.add(Agents.radiator(hearth, "rad-medium", work, outdoorC, 30, SecurityClass.SECURITY_CLASS_SEALED));
    agents.add(Agents.radiator(hearth, "rad-large", work, outdoorC, 45, SecurityClass.SECURITY_CLASS_SEALED));
    agents.add(Agents.datacenter(hearth, "dc-1", work, 16, "fr-paris"));
    // Wait until every heater has reported its room at least once.
    await().atMost(Duration.ofSeconds(20)).until(() -> agents.stream().allMatch(NodeAgent::isConnected));
    await().atMost(Duration.ofSeconds(20)).until(() -> hearth.scheduler.placer().view().readyNodes() == 4);
    return agents;
  }

  private static String placeAndGetNode(TestScheduler hearth, String requestId) {
    JobServiceGrpc.JobServiceBlockingStub acme = hearth.jobs("tenant/acme");
    Job job = acme.submitJob(SubmitJobRequest.newBuilder()
        .setSpec(TestScheduler.spec(requestId, "sleep", "20").setMaxRuntime(com.google.protobuf.Duration.newBuilder()
            .setSeconds(30))).build()).getJob();
    await().atMost(Duration.ofSeconds(20)).until(() ->
        acme.getJob(GetJobRequest.newBuilder().setJobId(job.getJobId()).build()).getState() != JobState.JOB_STATE_QUEUED);
    return acme.getJob(GetJobRequest.newBuilder().setJobId(job.getJobId()).build()).getAttempts(0).getNodeId();
  }

  @Test
  void inWinterPaidJobsGoToTheRoomsThatWantHeatMostAndInSummerToTheDataCenter() {
    List<String> winter = new ArrayList<>();
    try (TestScheduler hearth = TestScheduler.start(TestScheduler.options().build())) {
      List<NodeAgent> agents = fleet(hearth, 5);
      try {
        // Headroom before: large 675, medium 450, small 300 W. Each job takes 150 W from its room.
        for (int i = 0; i < 5; i++) {
          winter.add(placeAndGetNode(hearth, "winter-" + i));
        }
      } finally {
        agents.forEach(NodeAgent::close);
      }
    }
    // Headroom large/medium/small: 675/450/300 -> large, which then runs work and so comes first while
    // its headroom covers a job: 525, 375, 225 -> large; 75/450/300 -> medium, the neediest cold room.
    assertThat(winter).containsExactly("rad-large", "rad-large", "rad-large", "rad-large", "rad-medium");
    assertThat(winter).doesNotContain("dc-1");

    List<String> summer = new ArrayList<>();
    try (TestScheduler hearth = TestScheduler.start(TestScheduler.options().build())) {
      List<NodeAgent> agents = fleet(hearth, 25);
      try {
        for (int i = 0; i < 5; i++) {
          summer.add(placeAndGetNode(hearth, "summer-" + i));
        }
      } finally {
        agents.forEach(NodeAgent::close);
      }
    }
    assertThat(summer).containsOnly("dc-1").hasSize(5);
  }
}
