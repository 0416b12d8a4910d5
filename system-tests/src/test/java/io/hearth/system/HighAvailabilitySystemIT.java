package io.hearth.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hearth.api.v1.Attempt;
import io.hearth.api.v1.AttemptState;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.ListJobsRequest;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.SubmitJobResponse;
import io.hearth.api.v1.SubmitJobsRequest;
import io.hearth.api.v1.SubmitJobsResponse;
import io.hearth.api.v1.Tier;
import io.hearth.api.v1.Workload;
import io.hearth.client.Retrying;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 7's acceptance on the built images: three scheduler members (journal store) and twenty node
 * agents, one per container, all on the host network. In order: the leader is SIGKILLed under a
 * load of 10,000 jobs; a worker is paused past the node timeout; every member is stopped and
 * started again. Figures are printed as {@code SYSTEM ...} lines.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HighAvailabilitySystemIT {

  private static final Logger LOG = LoggerFactory.getLogger(HighAvailabilitySystemIT.class);
  static final int JOBS = Integer.getInteger("hearth.system.jobs", 10_000);
  static final int WORKERS = 20;
  static final int BATCH = 100;

  static DockerHearth hearth;
  static final Map<String, Job> acknowledged = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() {
    long t0 = System.nanoTime();
    hearth = new DockerHearth(3, Map.of());
    hearth.startSchedulers();
    hearth.startWorkers(0, 2, "pause");
    hearth.startWorkers(2, WORKERS - 2, "fr-paris");
    await().atMost(Duration.ofSeconds(60)).until(() -> hearth.leader() >= 0);
    LOG.info("SYSTEM setup: 3 members and {} workers up in {} s", WORKERS,
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0));
  }

  @AfterAll
  static void stop() {
    if (hearth != null) {
      hearth.close();
    }
  }

  static JobSpec spec(String requestId, String script) {
    return JobSpec.newBuilder().setRequestId(requestId).setName(requestId).setTier(Tier.TIER_ON_DEMAND)
        .setMinSecurityClass(SecurityClass.SECURITY_CLASS_OPEN).setCores(1).setMemoryMib(64).setMaxAttempts(5)
        .setWorkload(Workload.newBuilder().addArgv("sh").addArgv("-c")
            // The worker's own record: the token of the attempt that ran to its end, written last.
            .addArgv(script + "echo $HEARTH_FENCING_TOKEN > \"$HOME/done.tmp\" && mv \"$HOME/done.tmp\" \"$HOME/done\""))
        .build();
  }

  @Test
  @Order(1)
  void sigkillOfTheLeaderUnderLoadLosesNoJobAndCompletesNoneTwice() throws Exception {
    JobServiceGrpc.JobServiceBlockingStub acme = hearth.jobs("tenant/acme");
    Retrying retrying = Retrying.upTo(Duration.ofSeconds(120));
    ExecutorService submitters = Executors.newFixedThreadPool(2);
    AtomicInteger nextBatch = new AtomicInteger();
    long t0 = System.nanoTime();
    List<Future<?>> load = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      load.add(submitters.submit(() -> {
        for (int b = nextBatch.getAndIncrement(); b * BATCH < JOBS; b = nextBatch.getAndIncrement()) {
          SubmitJobsRequest.Builder req = SubmitJobsRequest.newBuilder();
          for (int i = b * BATCH; i < Math.min(JOBS, (b + 1) * BATCH); i++) {
            req.addSpecs(spec("load-" + i, ""));
          }
          SubmitJobsRequest request = req.build();
          SubmitJobsResponse r = retrying.call(() -> acme.withDeadlineAfter(20, TimeUnit.SECONDS).submitJobs(request));
          for (SubmitJobResponse one : r.getResultsList()) {
            acknowledged.put(one.getJob().getJobId(), one.getJob());
          }
        }
        return null;
      }));
    }
    try {
      await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(200))
          .until(() -> hearth.completedOnWorkers() >= JOBS / 4);
      int leader = hearth.leader();
      assertThat(leader).isGreaterThanOrEqualTo(0);
      Instant killed = Instant.now();
      hearth.kill(hearth.schedulers[leader]);
      long k0 = System.nanoTime();
      LOG.info("SYSTEM killed the leader (member {}) with SIGKILL after {} completions", leader, hearth.completedOnWorkers());
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
          .until(() -> hearth.leader() >= 0 && hearth.leader() != leader);
      long takeoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - k0);
      for (Future<?> f : load) {
        f.get(10, TimeUnit.MINUTES);
      }
      long submittedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertThat(acknowledged).hasSize(JOBS);

      JobServiceGrpc.JobServiceBlockingStub ops = hearth.jobs("operator/ops");
      await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofSeconds(2)).until(() -> retrying.call(() ->
          ops.withDeadlineAfter(30, TimeUnit.SECONDS).listJobs(ListJobsRequest.newBuilder().setPageSize(1)
              .addStates(JobState.JOB_STATE_QUEUED).addStates(JobState.JOB_STATE_ASSIGNED)
              .addStates(JobState.JOB_STATE_RUNNING).build())).getJobsCount() == 0);
      long allDoneMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

      Map<String, Job> all = hearth.allJobs();
      Map<String, List<Long>> onWorkers = hearth.completionsOnWorkers();
      Map<String, Integer> perRequest = new HashMap<>();
      int lost = 0;
      int twiceByAttempts = 0;
      int twiceByWorkers = 0;
      int requeued = 0;
      List<Instant> assignments = new ArrayList<>();
      for (Job j : all.values()) {
        perRequest.merge(j.getSpec().getRequestId(), 1, Integer::sum);
        for (Attempt a : j.getAttemptsList()) {
          assignments.add(Instant.ofEpochSecond(a.getAssignedAt().getSeconds(), a.getAssignedAt().getNanos()));
        }
      }
      for (String id : acknowledged.keySet()) {
        Job j = all.get(id);
        if (j == null || j.getState() != JobState.JOB_STATE_SUCCEEDED) {
          lost++;
          LOG.error("SYSTEM job {} not succeeded: {}", id, j);
          continue;
        }
        long successes = j.getAttemptsList().stream().filter(a -> a.getState() == AttemptState.ATTEMPT_STATE_SUCCEEDED).count();
        twiceByAttempts += successes > 1 ? 1 : 0;
        List<Long> ran = onWorkers.getOrDefault(id, List.of());
        if (ran.size() != 1) {
          twiceByWorkers++;
          LOG.error("SYSTEM job {} ran to its end {} times on workers: {}", id, ran.size(), j);
        } else {
          long token = j.getAttemptsList().stream().filter(a -> a.getState() == AttemptState.ATTEMPT_STATE_SUCCEEDED)
              .findFirst().orElseThrow().getFencingToken();
          assertThat(ran.get(0)).as("token of %s's completion on a worker", id).isEqualTo(token);
        }
        requeued += j.getAttemptsCount() > 1 ? 1 : 0;
      }
      long duplicates = perRequest.values().stream().filter(n -> n > 1).count();
      // Placement resumed: the first assignment made after the leader died. A SIGKILLed process
      // stops within milliseconds, so anything assigned 200 ms after the kill is the new leader's.
      assignments.sort(null);
      Instant resumed = assignments.stream().filter(a -> a.isAfter(killed.plusMillis(200))).findFirst().orElse(Instant.MAX);
      long resumeMs = Duration.between(killed, resumed).toMillis();
      long longestGapMs = 0;
      for (int i = 1; i < assignments.size(); i++) {
        if (assignments.get(i).isAfter(killed) && assignments.get(i - 1).isBefore(killed.plusSeconds(30))) {
          longestGapMs = Math.max(longestGapMs, Duration.between(assignments.get(i - 1), assignments.get(i)).toMillis());
        }
      }
      LOG.info("SYSTEM first assignment by the new leader at {} (SIGKILL at {}); longest pause between two assignments"
          + " in the 30 s after the kill: {} ms", resumed, killed, longestGapMs);
      LOG.info("SYSTEM acceptance 1: {} jobs acknowledged, {} lost, {} completed twice (attempts), {} completed"
              + " more or less than once (workers' records), {} duplicate submissions, {} jobs with a requeued attempt;"
              + " new leader {} ms and placement resumed {} ms after the SIGKILL; all submitted in {} s, all done in {} s;"
              + " client retries {}",
          acknowledged.size(), lost, twiceByAttempts, twiceByWorkers, duplicates, requeued, takeoverMs, resumeMs,
          submittedMs / 1000, allDoneMs / 1000, retrying.retries());
      assertThat(lost).isZero();
      assertThat(twiceByAttempts).isZero();
      assertThat(twiceByWorkers).isZero();
      assertThat(duplicates).isZero();
      assertThat(resumeMs).isLessThan(10_000);

      // The killed member comes back as a follower (the cluster keeps its three members).
      hearth.schedulers[leader].stop();
      hearth.startScheduler(leader);
    } finally {
      submitters.shutdownNow();
    }
  }

  @Test
  @Order(2)
  void aWorkerPausedPastTheNodeTimeoutLosesItsJobsToOthersAndItsStaleReportsAreRefused() throws Exception {
    JobServiceGrpc.JobServiceBlockingStub acme = hearth.jobs("tenant/acme");
    Retrying retrying = Retrying.upTo(Duration.ofSeconds(60));
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      JobSpec s = spec("pause-" + i, "sleep 6; ").toBuilder().addAllowedRegions("pause").build();
      Job j = retrying.call(() -> acme.withDeadlineAfter(20, TimeUnit.SECONDS)
          .submitJob(io.hearth.api.v1.SubmitJobRequest.newBuilder().setSpec(s).build())).getJob();
      acknowledged.put(j.getJobId(), j);
      ids.add(j.getJobId());
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> ids.stream().map(id -> get(acme, id))
        .anyMatch(j -> j.getState() == JobState.JOB_STATE_RUNNING && lastAttempt(j).getNodeId().equals("w-0")));
    List<String> onPaused = ids.stream().filter(id -> {
      Job j = get(acme, id);
      return j.getAttemptsCount() > 0 && lastAttempt(j).getNodeId().equals("w-0");
    }).toList();
    var paused = hearth.workers.get(0);
    hearth.docker().pauseContainerCmd(paused.getContainerId()).exec();
    long p0 = System.nanoTime();
    LOG.info("SYSTEM paused worker w-0 running {} jobs", onPaused.size());
    try {
      await().atMost(Duration.ofSeconds(90)).until(() -> onPaused.stream().map(id -> get(acme, id))
          .allMatch(j -> j.getState() == JobState.JOB_STATE_SUCCEEDED));
    } finally {
      // Its jobs can only have finished elsewhere once the node timeout declared w-0 lost, so the
      // pause has lasted past the timeout by now.
      hearth.docker().unpauseContainerCmd(paused.getContainerId()).exec();
    }
    long pausedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - p0);
    assertThat(pausedMs).isGreaterThan(DockerHearth.NODE_TIMEOUT.toMillis());
    for (String id : onPaused) {
      Job j = get(acme, id);
      assertThat(j.getAttempts(0).getNodeId()).isEqualTo("w-0");
      assertThat(j.getAttempts(0).getState()).isEqualTo(AttemptState.ATTEMPT_STATE_LOST);
      assertThat(lastAttempt(j).getNodeId()).isNotEqualTo("w-0");
      assertThat(lastAttempt(j).getState()).isEqualTo(AttemptState.ATTEMPT_STATE_SUCCEEDED);
    }
    // Resumed, w-0 reports on the attempts it still holds: each report is refused (stale token).
    await().atMost(Duration.ofSeconds(60)).until(() -> onPaused.stream().allMatch(id -> paused.getLogs().contains(
        "update on job " + id + " token " + get(acme, id).getAttempts(0).getFencingToken() + " rejected")));
    LOG.info("SYSTEM acceptance 2: worker w-0 paused {} ms (node timeout {} ms); its {} jobs were requeued and succeeded"
        + " elsewhere; its stale reports on all {} were refused after it resumed", pausedMs,
        DockerHearth.NODE_TIMEOUT.toMillis(), onPaused.size(), onPaused.size());
    await().atMost(Duration.ofSeconds(60)).until(() -> ids.stream().allMatch(id ->
        get(acme, id).getState() == JobState.JOB_STATE_SUCCEEDED));
  }

  @Test
  @Order(3)
  void stoppingAndStartingAllThreeMembersKeepsEveryAcknowledgedJob() {
    Map<String, Job> before = hearth.allJobs();
    assertThat(before.keySet()).containsAll(acknowledged.keySet());
    long r0 = System.nanoTime();
    hearth.restartSchedulers();
    await().atMost(Duration.ofSeconds(60)).until(() -> hearth.leader() >= 0);
    long restartMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - r0);
    Map<String, Job> after = hearth.allJobs();
    int same = 0;
    for (String id : acknowledged.keySet()) {
      Job a = after.get(id);
      Job b = before.get(id);
      assertThat(a).as(id).isNotNull();
      assertThat(a.getState()).as("%s: before the restart %s, after %s", id, summary(b), summary(a))
          .isEqualTo(b.getState());
      assertThat(a.getAttemptsList()).as(id).isEqualTo(b.getAttemptsList());
      same++;
    }
    LOG.info("SYSTEM acceptance 3: all members stopped and started again in {} ms; {} of {} acknowledged jobs back"
        + " with their states and attempts ({} jobs in the store before, {} after)", restartMs, same,
        acknowledged.size(), before.size(), after.size());
    assertThat(after).hasSameSizeAs(before);
  }

  /** A job's state, last change and attempts, one line (what a failed comparison needs to be read). */
  static String summary(Job j) {
    StringBuilder out = new StringBuilder(j.getState().name()).append(" updated ")
        .append(java.time.Instant.ofEpochSecond(j.getUpdatedAt().getSeconds(), j.getUpdatedAt().getNanos()))
        .append(" attempts [");
    for (Attempt a : j.getAttemptsList()) {
      out.append(a.getNumber()).append(' ').append(a.getNodeId()).append(' ').append(a.getState().name())
          .append(" token ").append(a.getFencingToken()).append("; ");
    }
    return out.append(']').toString();
  }

  static Job get(JobServiceGrpc.JobServiceBlockingStub stub, String id) {
    return Retrying.upTo(Duration.ofSeconds(30)).call(() -> stub.withDeadlineAfter(10, TimeUnit.SECONDS)
        .getJob(io.hearth.api.v1.GetJobRequest.newBuilder().setJobId(id).build()));
  }

  static Attempt lastAttempt(Job j) {
    return j.getAttempts(j.getAttemptsCount() - 1);
  }
}
