package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.worker.agent.NodeAgent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tenant over its running-core quota waits QUEUED, says so, and runs once its own work ends. */
class QuotaIT {

  @TempDir Path work;

  @Test
  void jobsOverQuotaWaitWithThatReasonAndRunLater() {
    try (TestScheduler hearth = TestScheduler.start(TestScheduler.options().runningCoreQuotas("acme/ON_DEMAND=2").build());
        NodeAgent dc = Agents.datacenter(hearth, "dc-q", work, 8, "fr-paris")) {
      await().atMost(Duration.ofSeconds(20)).until(() -> hearth.scheduler.placer().view().readyNodes() == 1);
      JobServiceGrpc.JobServiceBlockingStub acme = hearth.jobs("tenant/acme");
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        ids.add(acme.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec("q-" + i, "sleep", "3")).build())
            .getJob().getJobId());
      }
      // Another tenant is not limited by acme's quota.
      String other = hearth.jobs("tenant/globex").submitJob(SubmitJobRequest.newBuilder()
          .setSpec(TestScheduler.spec("g-1", "sleep", "1")).build()).getJob().getJobId();
      await().atMost(Duration.ofSeconds(10)).until(() -> ids.stream().filter(id -> state(acme, id) == JobState.JOB_STATE_RUNNING).count() == 2
          && ids.stream().filter(id -> acme.getJob(GetJobRequest.newBuilder().setJobId(id).build()).getPending().getSummary()
              .equals("over quota: acme runs 2 of 2 ON_DEMAND cores")).count() == 2);
      assertThat(ids.stream().filter(id -> state(acme, id) == JobState.JOB_STATE_QUEUED).count()).isEqualTo(2);
      await().atMost(Duration.ofSeconds(10)).until(() -> state(hearth.jobs("tenant/globex"), other) == JobState.JOB_STATE_SUCCEEDED);
      await().atMost(Duration.ofSeconds(30)).until(() -> ids.stream().allMatch(id -> state(acme, id) == JobState.JOB_STATE_SUCCEEDED));
    }
  }

  private static JobState state(JobServiceGrpc.JobServiceBlockingStub stub, String id) {
    return stub.getJob(GetJobRequest.newBuilder().setJobId(id).build()).getState();
  }
}
