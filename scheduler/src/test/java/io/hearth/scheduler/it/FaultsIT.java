package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Duration;
import io.hearth.api.v1.Attempt;
import io.hearth.api.v1.AttemptState;
import io.hearth.api.v1.CancelJobRequest;
import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.scheduler.cluster.HazelcastConfigs;
import io.hearth.scheduler.cluster.StoredJob;
import io.hearth.scheduler.job.JobLifecycle;
import io.hearth.worker.agent.CompletedAttempt;
import io.hearth.worker.agent.NodeAgent;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failures with real processes: an agent killed with SIGKILL mid-job, a job that always fails, a
 * cancellation of a running process, a job nobody can run. Each test uses its own region so the
 * tests never take each other's nodes.
 */
class FaultsIT {

  static TestScheduler hearth;
  static JobServiceGrpc.JobServiceBlockingStub acme;
  @TempDir static Path work;

  @BeforeAll
  static void start() {
    hearth = TestScheduler.start(TestScheduler.options().nodeTimeout(java.time.Duration.ofSeconds(3)).build());
    acme = hearth.jobs("tenant/acme");
  }

  @AfterAll
  static void stop() {
    hearth.close();
  }

  private static Job get(String id) {
    return acme.getJob(GetJobRequest.newBuilder().setJobId(id).build());
  }

  private static Job submit(io.hearth.api.v1.JobSpec.Builder spec) {
    return acme.submitJob(SubmitJobRequest.newBuilder().setSpec(spec).build()).getJob();
  }

  @Test
  void aJobOnAnAgentKilledWithSigkillIsRequeuedAfterTheNodeTimeoutAndCompletesElsewhere() throws Exception {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path tls = work.resolve("doomed-tls");
    java.nio.file.Files.createDirectories(tls);
    java.nio.file.Files.writeString(tls.resolve("ca.pem"), TestScheduler.CA.certificatePem());
    TestScheduler.CA.issueClient("node", "doomed-1", "CERTIFIED").save(tls, "node-doomed-1");
    Process doomed = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"),
        "io.hearth.worker.WorkerMain", "agent",
        "--scheduler", "127.0.0.1:" + hearth.port(),
        "--node-id", "doomed-1", "--kind", "DATACENTER", "--security-class", "CERTIFIED",
        "--cores", "2", "--region", "kill-test", "--work-dir", work.resolve("doomed").toString(),
        "--telemetry-interval-ms", "200", "--tls-dir", tls.toString())
        .redirectErrorStream(true)
        .redirectOutput(work.resolve("doomed.log").toFile())
        .start();
    NodeAgent survivor = null;
    try {
      // The first attempt sleeps long; a later one ends at once.
      Job job = submit(TestScheduler.spec("killed-mid-job", "sh", "-c",
          "if [ \"$HEARTH_ATTEMPT\" = 1 ]; then sleep 15; fi; echo done")
          .addAllowedRegions("kill-test"));
      await().atMost(java.time.Duration.ofSeconds(60)).until(() -> get(job.getJobId()).getState() == JobState.JOB_STATE_RUNNING);
      assertThat(get(job.getJobId()).getAttempts(0).getNodeId()).isEqualTo("doomed-1");

      survivor = Agents.datacenter(hearth, "survivor-1", work, 2, "kill-test");
      long pid = doomed.pid();
      new ProcessBuilder("kill", "-KILL", Long.toString(pid)).start().waitFor(10, TimeUnit.SECONDS);
      assertThat(doomed.waitFor(10, TimeUnit.SECONDS)).isTrue();
      assertThat(doomed.exitValue()).isEqualTo(137);

      await().atMost(java.time.Duration.ofSeconds(30)).until(() -> get(job.getJobId()).getState() == JobState.JOB_STATE_SUCCEEDED);
      Job done = get(job.getJobId());
      assertThat(done.getAttemptsList()).hasSize(2);
      Attempt lost = done.getAttempts(0);
      assertThat(lost.getNodeId()).isEqualTo("doomed-1");
      assertThat(lost.getState()).isEqualTo(AttemptState.ATTEMPT_STATE_LOST);
      assertThat(lost.getReason()).contains("silent");
      Attempt second = done.getAttempts(1);
      assertThat(second.getNodeId()).isEqualTo("survivor-1");
      assertThat(second.getState()).isEqualTo(AttemptState.ATTEMPT_STATE_SUCCEEDED);
      assertThat(second.getFencingToken()).isNotEqualTo(lost.getFencingToken());
      NodeAgent s = survivor;
      assertThat(s.completedAttempts()).extracting(CompletedAttempt::fencingToken).contains(second.getFencingToken());
    } finally {
      doomed.destroyForcibly();
      if (survivor != null) {
        survivor.close();
      }
      // The orphaned `sleep 15` of the killed agent is left to end by itself.
    }
  }

  @Test
  void anAgentThatRestartsWithinTheTimeoutGetsItsLostAttemptsRequeuedAtOnce() {
    Job job;
    try (NodeAgent first = Agents.datacenter(hearth, "restart-1", work, 2, "restart-test")) {
      job = submit(TestScheduler.spec("survives-restart", "sh", "-c",
          "if [ \"$HEARTH_ATTEMPT\" = 1 ]; then sleep 30; fi").addAllowedRegions("restart-test"));
      await().atMost(java.time.Duration.ofSeconds(30)).until(() -> get(job.getJobId()).getState() == JobState.JOB_STATE_RUNNING);
    }
    // A new agent process for the same node, long before the 3 s node timeout: it runs nothing.
    try (NodeAgent second = Agents.datacenter(hearth, "restart-1", work.resolve("again"), 2, "restart-test")) {
      await().atMost(java.time.Duration.ofSeconds(30)).until(() -> get(job.getJobId()).getState() == JobState.JOB_STATE_SUCCEEDED);
      Job done = get(job.getJobId());
      assertThat(done.getAttempts(0).getState()).isEqualTo(AttemptState.ATTEMPT_STATE_LOST);
      assertThat(done.getAttempts(0).getReason()).isEqualTo("node restart-1 reconnected without it");
      assertThat(done.getAttempts(1).getNodeId()).isEqualTo("restart-1");
    }
  }

  @Test
  void aQueuedJobThePlacerWasNeverToldOfIsFoundByTheLeadersQueueRescan() {
    try (NodeAgent node = Agents.datacenter(hearth, "rescan-1", work, 2, "rescan-test")) {
      // Stored as a member that died before it told the placer would leave it: QUEUED, unannounced.
      var store = hearth.scheduler.store();
      Job unannounced = JobLifecycle.accepted(store.newJobId(), "acme",
          TestScheduler.spec("never-announced", "true").addAllowedRegions("rescan-test").build(), java.time.Instant.now());
      assertThat(store.createIdempotent(unannounced).created()).isTrue();
      // The rescan runs every 10 s on the leader and reads a job it does not know once it saw it
      // unknown twice: within three rescans the job has run.
      await().atMost(java.time.Duration.ofSeconds(45))
          .until(() -> get(unannounced.getJobId()).getState() == JobState.JOB_STATE_SUCCEEDED);
      assertThat(get(unannounced.getJobId()).getAttemptsList()).singleElement()
          .satisfies(a -> assertThat(a.getNodeId()).isEqualTo("rescan-1"));
    }
  }

  /**
   * Follow-ups a member died before making, left in the cluster state as such a member would leave
   * them (written past the job store, so no member is told): an array job whose instances all
   * ended while its aggregate still says they run, and a BLOCKED job whose parent succeeded. The
   * leader's reconciliation (every 10 s) finishes the array and releases the child, which runs.
   */
  @Test
  void anArrayAndABlockedJobLeftBehindAreFinishedByTheLeadersReconciliation() {
    try (NodeAgent node = Agents.datacenter(hearth, "reconcile-1", work, 2, "reconcile-test")) {
      var store = hearth.scheduler.store();
      com.hazelcast.map.IMap<String, StoredJob> jobs = com.hazelcast.core.Hazelcast.getAllHazelcastInstances().stream()
          .filter(hz -> hz.getConfig().getClusterName().equals(hearth.scheduler.options().clusterName()))
          .findFirst().orElseThrow().getMap(HazelcastConfigs.JOBS_MAP);
      java.time.Instant now = java.time.Instant.now();
      Job array = JobLifecycle.accepted(store.newJobId(), "acme",
          TestScheduler.spec("left-array", "true").setInstances(2).build(), now).toBuilder()
          .setState(JobState.JOB_STATE_RUNNING)
          .setArray(io.hearth.api.v1.ArrayStatus.newBuilder().setInstances(2).setRunning(2)).build();
      put(jobs, array);
      for (Job instance : io.hearth.scheduler.job.ArrayJobs.instances(array)) {
        put(jobs, instance.toBuilder().setState(JobState.JOB_STATE_SUCCEEDED).build());
      }
      Job parent = JobLifecycle.accepted(store.newJobId(), "acme", TestScheduler.spec("left-parent", "true").build(), now)
          .toBuilder().setState(JobState.JOB_STATE_SUCCEEDED).build();
      put(jobs, parent);
      Job child = JobLifecycle.accepted(store.newJobId(), "acme", TestScheduler.spec("left-child", "true")
          .addAllowedRegions("reconcile-test")
          .addDependsOn(io.hearth.api.v1.JobDependency.newBuilder().setJobId(parent.getJobId())).build(), now)
          .toBuilder().setState(JobState.JOB_STATE_BLOCKED).build();
      put(jobs, child);

      await().atMost(java.time.Duration.ofSeconds(45)).until(() -> get(array.getJobId()).getState() == JobState.JOB_STATE_SUCCEEDED
          && get(child.getJobId()).getState() == JobState.JOB_STATE_SUCCEEDED);
      assertThat(get(array.getJobId()).getArray().getSucceeded()).isEqualTo(2);
      assertThat(get(child.getJobId()).getAttemptsList()).singleElement()
          .satisfies(a -> assertThat(a.getNodeId()).isEqualTo("reconcile-1"));
    }
  }

  private static void put(com.hazelcast.map.IMap<String, StoredJob> jobs, Job job) {
    jobs.set(job.getJobId(), new StoredJob(job.getJobId(), job.getOwner(), job.getStateValue(), job.getSpec().getTierValue(),
        job.toByteArray()));
  }

  @Test
  void aJobThatFailsMaxAttemptsTimesEndsFailedWithEveryAttemptRecorded() {
    try (NodeAgent node = Agents.datacenter(hearth, "failing-1", work, 2, "fail-test")) {
      Job job = submit(TestScheduler.spec("always-fails", "sh", "-c", "echo boom >&2; exit 7")
          .setMaxAttempts(3).addAllowedRegions("fail-test"));
      await().atMost(java.time.Duration.ofSeconds(30)).until(() -> get(job.getJobId()).getState() == JobState.JOB_STATE_FAILED);
      Job failed = get(job.getJobId());
      assertThat(failed.getAttemptsList()).hasSize(3)
          .allSatisfy(a -> {
            assertThat(a.getState()).isEqualTo(AttemptState.ATTEMPT_STATE_FAILED);
            assertThat(a.getExitCode()).isEqualTo(7);
            assertThat(a.getNodeId()).isEqualTo("failing-1");
          });
      assertThat(failed.getAttemptsList()).extracting(Attempt::getNumber).containsExactly(1, 2, 3);
      assertThat(failed.getAttemptsList()).extracting(Attempt::getFencingToken).doesNotHaveDuplicates();
      assertThat(failed.getStateReason()).startsWith("attempt 3 of 3 failed: exit code 7");
    }
  }

  @Test
  void aProcessRunningPastMaxRuntimeIsKilledAndTheJobFails() {
    try (NodeAgent node = Agents.datacenter(hearth, "slow-1", work, 2, "slow-test")) {
      Job job = submit(TestScheduler.spec("too-slow", "sleep", "60").setMaxAttempts(1)
          .setMaxRuntime(Duration.newBuilder().setSeconds(1)).addAllowedRegions("slow-test"));
      await().atMost(java.time.Duration.ofSeconds(30)).until(() -> get(job.getJobId()).getState() == JobState.JOB_STATE_FAILED);
      Job failed = get(job.getJobId());
      assertThat(failed.getAttempts(0).getState()).isEqualTo(AttemptState.ATTEMPT_STATE_TIMED_OUT);
      assertThat(failed.getStateReason()).contains("max_runtime");
      assertThat(node.runningAttempts()).isEmpty();
    }
  }

  @Test
  void cancelJobStopsTheRunningProcess() {
    try (NodeAgent node = Agents.datacenter(hearth, "cancel-1", work, 2, "cancel-test")) {
      Job job = submit(TestScheduler.spec("to-cancel", "sleep", "60").addAllowedRegions("cancel-test"));
      await().atMost(java.time.Duration.ofSeconds(30)).until(() -> get(job.getJobId()).getState() == JobState.JOB_STATE_RUNNING);
      Job cancelled = acme.cancelJob(CancelJobRequest.newBuilder().setJobId(job.getJobId()).build());
      assertThat(cancelled.getState()).isEqualTo(JobState.JOB_STATE_CANCELLED);
      assertThat(cancelled.getStateReason()).isEqualTo("cancelled by tenant/acme");
      await().atMost(java.time.Duration.ofSeconds(15)).until(() -> node.runningAttempts().isEmpty());
      assertThat(node.completedAttempts()).anySatisfy(c -> {
        assertThat(c.jobId()).isEqualTo(job.getJobId());
        assertThat(c.state()).isEqualTo(AttemptState.ATTEMPT_STATE_CANCELLED);
      });
      // Cancelling again is harmless and the job stays cancelled.
      assertThat(acme.cancelJob(CancelJobRequest.newBuilder().setJobId(job.getJobId()).build()).getState())
          .isEqualTo(JobState.JOB_STATE_CANCELLED);
      // The freed cores take new work.
      Job next = submit(TestScheduler.spec("after-cancel", "true").setCores(2).addAllowedRegions("cancel-test"));
      await().atMost(java.time.Duration.ofSeconds(30)).until(() -> get(next.getJobId()).getState() == JobState.JOB_STATE_SUCCEEDED);
    }
  }

  @Test
  void aJobNobodyCanRunSaysWhyAndExpiresAfterItsMaxQueueTime() {
    try (NodeAgent elsewhere = Agents.datacenter(hearth, "elsewhere-1", work, 2, "elsewhere")) {
      expiresWithReason();
    }
  }

  private void expiresWithReason() {
    Job job = submit(TestScheduler.spec("nowhere", "true").addAllowedRegions("atlantis")
        .setMaxQueueTime(Duration.newBuilder().setSeconds(3)));
    await().atMost(java.time.Duration.ofSeconds(10)).until(() -> get(job.getJobId()).hasPending());
    Job pending = get(job.getJobId());
    assertThat(pending.getState()).isEqualTo(JobState.JOB_STATE_QUEUED);
    assertThat(pending.getPending().getSummary()).contains("outside the allowed regions");
    assertThat(pending.getPending().getRejectionsList()).anySatisfy(r -> {
      assertThat(r.getFilter()).isEqualTo("region");
      assertThat(r.getNodes()).isPositive();
    });
    await().atMost(java.time.Duration.ofSeconds(15)).until(() -> get(job.getJobId()).getState() == JobState.JOB_STATE_EXPIRED);
    assertThat(get(job.getJobId()).getStateReason()).contains("max_queue_time");
  }

  @Test
  void listJobsPagesThroughTheCallersJobsOnly() {
    for (int i = 0; i < 5; i++) {
      hearth.jobs("tenant/lister").submitJob(SubmitJobRequest.newBuilder()
          .setSpec(TestScheduler.spec("list-" + i, "true").addAllowedRegions("atlantis")).build());
    }
    var lister = hearth.jobs("tenant/lister");
    var page1 = lister.listJobs(io.hearth.api.v1.ListJobsRequest.newBuilder().setPageSize(3).build());
    assertThat(page1.getJobsList()).hasSize(3);
    assertThat(page1.getNextPageToken()).isNotEmpty();
    var page2 = lister.listJobs(io.hearth.api.v1.ListJobsRequest.newBuilder().setPageSize(3)
        .setPageToken(page1.getNextPageToken()).build());
    assertThat(page2.getJobsList()).hasSize(2);
    assertThat(page2.getNextPageToken()).isEmpty();
    List<String> all = new java.util.ArrayList<>();
    page1.getJobsList().forEach(j -> all.add(j.getSpec().getRequestId()));
    page2.getJobsList().forEach(j -> all.add(j.getSpec().getRequestId()));
    assertThat(all).containsExactlyInAnyOrder("list-0", "list-1", "list-2", "list-3", "list-4");
    assertThat(page1.getJobsList()).allMatch(j -> j.getOwner().equals("lister"));
  }

  /**
   * A node that says (in its hello) it holds an attempt keeps it past the node timeout even while
   * no report on it arrives: the report may be waiting for the store or for a member that died. The
   * last CI run before this rule requeued such an attempt as "not acknowledged" and the job ran twice.
   */
  @Test
  void anAttemptTheNodeSaysItHoldsIsNotTakenBackWhileItsReportIsLate() throws Exception {
    JobServiceGrpc.JobServiceBlockingStub acme = hearth.jobs("tenant/acme");
    io.hearth.api.v1.Hello.Builder hello = RawNode.hello("dc-held", io.hearth.api.v1.NodeKind.NODE_KIND_DATACENTER,
        io.hearth.api.v1.SecurityClass.SECURITY_CLASS_CERTIFIED, 4).setRegion("held");
    String jobId;
    long token;
    try (RawNode first = new RawNode(hearth, "dc-held", "CERTIFIED")) {
      first.send(hello.build());
      first.next(io.hearth.api.v1.SchedulerMessage.BodyCase.WELCOME, java.time.Duration.ofSeconds(10));
      jobId = acme.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec("held-1", "true")
          .setMinSecurityClass(io.hearth.api.v1.SecurityClass.SECURITY_CLASS_CERTIFIED).addAllowedRegions("held"))
          .build()).getJob().getJobId();
      token = first.next(io.hearth.api.v1.SchedulerMessage.BodyCase.ASSIGNMENT, java.time.Duration.ofSeconds(10))
          .getAssignment().getFencingToken();
    }
    try (RawNode second = new RawNode(hearth, "dc-held", "CERTIFIED")) {
      second.send(hello.clone().addRunningFencingTokens(token).build());
      second.next(io.hearth.api.v1.SchedulerMessage.BodyCase.WELCOME, java.time.Duration.ofSeconds(10));
      // Alive (telemetry at every poll) for three node timeouts, silent on the attempt, which stays
      // ASSIGNED with its one attempt throughout.
      await().during(java.time.Duration.ofSeconds(9)).atMost(java.time.Duration.ofSeconds(20))
          .pollInterval(java.time.Duration.ofMillis(500)).until(() -> {
            second.telemetry(0, 0);
            Job j = acme.getJob(GetJobRequest.newBuilder().setJobId(jobId).build());
            return j.getState() == JobState.JOB_STATE_ASSIGNED && j.getAttemptsCount() == 1;
          });
      Job held = acme.getJob(GetJobRequest.newBuilder().setJobId(jobId).build());
      assertThat(held.getState()).isEqualTo(JobState.JOB_STATE_ASSIGNED);
      assertThat(held.getAttemptsList()).extracting(Attempt::getFencingToken).containsExactly(token);
      second.report(jobId, token, AttemptState.ATTEMPT_STATE_SUCCEEDED, 0);
      await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
          acme.getJob(GetJobRequest.newBuilder().setJobId(jobId).build()).getState() == JobState.JOB_STATE_SUCCEEDED);
      assertThat(acme.getJob(GetJobRequest.newBuilder().setJobId(jobId).build()).getAttemptsList()).hasSize(1);
    }
  }
}
