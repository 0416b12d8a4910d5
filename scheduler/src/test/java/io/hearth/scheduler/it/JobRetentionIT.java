package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.hearth.api.v1.CancelJobRequest;
import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobDependency;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.api.v1.SubmitJobResponse;
import io.hearth.worker.agent.NodeAgent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention of ended jobs end to end, with a retention of {@value #RETENTION_S} s: one scheduler
 * member, two data-center agents running real processes. An ended job goes with its request id; a
 * running job stays however old it is; a parent stays while a blocked job waits on it; an array job
 * goes with its instances.
 */
class JobRetentionIT {

  static final int RETENTION_S = 3;
  static TestScheduler hearth;
  static final List<NodeAgent> agents = new ArrayList<>();
  static JobServiceGrpc.JobServiceBlockingStub acme;
  @TempDir static Path work;

  @BeforeAll
  static void start() {
    hearth = TestScheduler.start(TestScheduler.options().jobsRetention(Duration.ofSeconds(RETENTION_S)).build());
    agents.addAll(Agents.datacenters(hearth, 2, work, 8));
    acme = hearth.jobs("tenant/acme");
  }

  @AfterAll
  static void stop() {
    agents.forEach(NodeAgent::close);
    hearth.close();
  }

  private static SubmitJobResponse submit(JobSpec.Builder spec) {
    return acme.submitJob(SubmitJobRequest.newBuilder().setSpec(spec).build());
  }

  private static Job get(String id) {
    return acme.getJob(GetJobRequest.newBuilder().setJobId(id).build());
  }

  private static boolean gone(String id) {
    try {
      get(id);
      return false;
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
      return true;
    }
  }

  private static Job awaitEnded(String id, JobState state) {
    return TestScheduler.awaitEnded(acme, id, state, Duration.ofSeconds(60));
  }

  @Test
  void anEndedJobGoesWithItsRequestIdAndARunningOneStays() {
    String running = submit(TestScheduler.spec("ret-sleeper", "sleep", "60")).getJob().getJobId();
    String quick = submit(TestScheduler.spec("ret-quick", "true")).getJob().getJobId();
    awaitEnded(quick, JobState.JOB_STATE_SUCCEEDED);

    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> gone(quick));
    assertThatThrownBy(() -> get(quick)).isInstanceOfSatisfying(StatusRuntimeException.class, e ->
        assertThat(e.getStatus().getDescription()).isEqualTo("job " + quick + " not found (not one of your jobs, or"
            + " ended longer ago than the retention of ended jobs)"));
    // Its request id went with it: the same request now is a new submission.
    SubmitJobResponse again = submit(TestScheduler.spec("ret-quick", "true"));
    assertThat(again.getCreated()).isTrue();
    assertThat(again.getJob().getJobId()).isNotEqualTo(quick);

    // Accepted before the quick job, so older than the retention: it runs, so it stays.
    Job sleeper = get(running);
    assertThat(sleeper.getState()).isIn(JobState.JOB_STATE_ASSIGNED, JobState.JOB_STATE_RUNNING);
    acme.cancelJob(CancelJobRequest.newBuilder().setJobId(running).build());
    awaitEnded(running, JobState.JOB_STATE_CANCELLED);
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> gone(running));
    assertThat(hearth.scheduler.metrics().registry().get("hearth.jobs.deleted").counter().count()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void aParentStaysWhileABlockedJobWaitsOnIt() {
    String parent = submit(TestScheduler.spec("ret-parent", "true")).getJob().getJobId();
    String slow = submit(TestScheduler.spec("ret-slow-parent", "sleep", "12")).getJob().getJobId();
    String child = submit(TestScheduler.spec("ret-child", "true")
        .addDependsOn(JobDependency.newBuilder().setJobId(parent))
        .addDependsOn(JobDependency.newBuilder().setJobId(slow))).getJob().getJobId();
    awaitEnded(parent, JobState.JOB_STATE_SUCCEEDED);

    // Several sweeps after the retention passed, the parent is still there: the child waits on it.
    await().during(Duration.ofSeconds(RETENTION_S + 3)).atMost(Duration.ofSeconds(RETENTION_S + 5))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> !gone(parent) && get(child).getState() == JobState.JOB_STATE_BLOCKED);
    assertThat(get(slow).getState()).isEqualTo(JobState.JOB_STATE_RUNNING);

    // The child then runs as its parents require, and everything goes in the end.
    awaitEnded(child, JobState.JOB_STATE_SUCCEEDED);
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .until(() -> gone(parent) && gone(slow) && gone(child));
  }

  @Test
  void anArrayJobGoesWithItsInstances() {
    String array = submit(TestScheduler.spec("ret-array", "true").setInstances(5)).getJob().getJobId();
    assertThat(get(array + ".4").getArrayJobId()).isEqualTo(array);
    awaitEnded(array, JobState.JOB_STATE_SUCCEEDED);

    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> gone(array));
    for (int i = 0; i < 5; i++) {
      assertThat(gone(array + "." + i)).as("instance %d", i).isTrue();
    }
  }
}
