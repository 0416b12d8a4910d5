package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.api.v1.SubmitJobResponse;
import io.hearth.scheduler.config.SchedulerOptions;
import io.hearth.worker.agent.NodeAgent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Accepted jobs survive a full restart: a member writes every job through to its durable store
 * (H2 in a data folder), is stopped, and a new member on the same folder serves every job with
 * its state and attempts; a retried submission still finds its original job.
 */
class DurabilityIT {

  @TempDir Path work;

  @Test
  void aFullRestartKeepsEveryAcceptedJobWithItsStateAndAttempts() {
    SchedulerOptions options = TestScheduler.options().storeDataDir(work.resolve("db").toString()).build();
    Map<String, Job> before = new HashMap<>();
    try (TestScheduler hearth = TestScheduler.start(options)) {
      JobServiceGrpc.JobServiceBlockingStub acme = hearth.jobs("tenant/acme");
      NodeAgent agent = Agents.datacenter(hearth, "durable-dc-1", work, 4, "durable");
      try {
        for (int i = 0; i < 30; i++) {
          submit(acme, TestScheduler.spec("ran-" + i, "true").addAllowedRegions("durable"));
        }
        for (int i = 0; i < 20; i++) {
          submit(acme, TestScheduler.spec("waits-" + i, "true").addAllowedRegions("nowhere"));
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> agent.completedAttempts().size() >= 30);
        for (int i = 0; i < 30; i++) {
          String id = submit(acme, TestScheduler.spec("ran-" + i, "true").addAllowedRegions("durable")).getJob().getJobId();
          await().atMost(Duration.ofSeconds(30)).until(() -> get(acme, id).getState() == JobState.JOB_STATE_SUCCEEDED);
        }
        for (String prefix : new String[] {"ran-", "waits-"}) {
          for (int i = 0; i < (prefix.equals("ran-") ? 30 : 20); i++) {
            Job j = submit(acme, TestScheduler.spec(prefix + i, "true")).getJob();
            before.put(j.getJobId(), get(acme, j.getJobId()));
          }
        }
      } finally {
        agent.close();
      }
    }
    assertThat(before).hasSize(50);

    try (TestScheduler again = TestScheduler.start(options.toBuilder().clusterName("hearth-restarted").build())) {
      JobServiceGrpc.JobServiceBlockingStub acme = again.jobs("tenant/acme");
      for (Job old : before.values()) {
        Job now = get(acme, old.getJobId());
        assertThat(now.getState()).as(old.getJobId()).isEqualTo(old.getState());
        assertThat(now.getAttemptsList()).as(old.getJobId()).isEqualTo(old.getAttemptsList());
        assertThat(now.getSpec()).isEqualTo(old.getSpec());
      }
      SubmitJobResponse retry = submit(acme, TestScheduler.spec("ran-7", "true"));
      assertThat(retry.getCreated()).isFalse();
      assertThat(before).containsKey(retry.getJob().getJobId());
    }
  }

  private static SubmitJobResponse submit(JobServiceGrpc.JobServiceBlockingStub stub, io.hearth.api.v1.JobSpec.Builder spec) {
    return stub.submitJob(SubmitJobRequest.newBuilder().setSpec(spec).build());
  }

  private static Job get(JobServiceGrpc.JobServiceBlockingStub stub, String id) {
    return stub.getJob(GetJobRequest.newBuilder().setJobId(id).build());
  }
}
