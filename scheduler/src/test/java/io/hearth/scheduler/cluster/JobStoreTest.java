package io.hearth.scheduler.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.google.protobuf.util.Timestamps;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobDependency;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.Tier;
import io.hearth.api.v1.Workload;
import io.hearth.scheduler.config.SchedulerOptions;
import io.hearth.scheduler.job.ArrayJobs;
import io.hearth.scheduler.job.JobLifecycle;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Accepting jobs in a batch against a real Hazelcast member written through to the journal: each
 * request id stands for one job whatever the batch holds, and what is acknowledged is durable.
 */
class JobStoreTest {

  @TempDir Path dir;
  private DurableStore durable;
  private HazelcastInstance hz;
  private JobStore store;
  private final List<Job> changes = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    SchedulerOptions options = SchedulerOptions.builder()
        .clusterName("job-store-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime())
        .storeDataDir(dir.toString()).build();
    durable = DurableStore.open(options);
    hz = Hazelcast.newHazelcastInstance(HazelcastConfigs.build(options, durable));
    store = new JobStore(hz, (job, encoded) -> changes.add(job));
  }

  /** A member that stops and starts again on the same journal. */
  private void restart() {
    stop();
    start();
  }

  @AfterEach
  void stop() {
    hz.shutdown();
    durable.close();
  }

  private Job fresh(String owner, String requestId) {
    JobSpec spec = JobSpec.newBuilder().setRequestId(requestId).setCores(1).setMemoryMib(64)
        .setWorkload(Workload.newBuilder().addArgv("true")).build();
    return JobLifecycle.accepted(store.newJobId(), owner, spec, Instant.now());
  }

  /** Job ids read as they always did: the formatter's {@code job-%016x}, which ids sort by. */
  @Test
  void jobIdsAreTheFormattersSixteenHexDigits() {
    java.util.SplittableRandom random = new java.util.SplittableRandom(11);
    List<Long> ids = new ArrayList<>(List.of(0L, 1L, 0xffL, Long.MAX_VALUE, Long.MIN_VALUE, -1L));
    for (int i = 0; i < 1_000; i++) {
      ids.add(random.nextLong());
    }
    for (long id : ids) {
      assertThat(JobStore.jobId(id)).isEqualTo(String.format("job-%016x", id));
    }
    assertThat(JobStore.jobId(0xffL)).isEqualTo("job-00000000000000ff");
  }

  @Test
  void aBatchCreatesOneJobPerRequestIdAndAnswersRepeatsWithTheOriginal() {
    Job earlier = store.createIdempotent(fresh("tenant/acme", "r-0")).job();
    changes.clear();
    List<Job> batch = List.of(
        fresh("tenant/acme", "r-1"),
        fresh("tenant/acme", "r-0"),      // used before this batch
        fresh("tenant/acme", "r-1"),      // repeated within the batch
        fresh("tenant/other", "r-1"));    // another owner's request id of the same name

    JobStore.AcceptedBatch accepted = store.createAllIdempotent(batch);

    assertThat(accepted.failure()).isNull();
    List<JobStore.Accepted> r = accepted.results();
    assertThat(r).hasSize(4);
    assertThat(r.get(0).created()).isTrue();
    assertThat(r.get(0).job().getJobId()).isEqualTo(batch.get(0).getJobId());
    assertThat(r.get(1).created()).isFalse();
    assertThat(r.get(1).job()).isEqualTo(earlier);
    assertThat(r.get(2).created()).isFalse();
    assertThat(r.get(2).job().getJobId()).isEqualTo(r.get(0).job().getJobId());
    assertThat(r.get(3).created()).isTrue();
    assertThat(r.get(3).job().getOwner()).isEqualTo("tenant/other");
    // Only what was created is told as a change, once each.
    assertThat(changes).extracting(Job::getJobId)
        .containsExactlyInAnyOrder(r.get(0).job().getJobId(), r.get(3).job().getJobId());
    // Acknowledged means durable: the journal holds the three jobs and their request ids.
    assertThat(durable.countJobs()).isEqualTo(3);
    assertThat(durable.jobs().load(r.get(0).job().getJobId())).isNotNull();
    assertThat(durable.requests().load(JobStore.requestKey("tenant/acme", "r-1")))
        .isEqualTo(r.get(0).job().getJobId());
    assertThat(store.get(r.get(3).job().getJobId()).getState()).isEqualTo(JobState.JOB_STATE_QUEUED);
  }

  /**
   * A member that died between a request's claim and its job record left a reserved id: the batch
   * that retries the request creates the job under that id, not a second one.
   */
  @Test
  void aRetriedRequestWhoseJobWasNeverWrittenCreatesItUnderTheReservedId() {
    hz.<String, String>getMap(HazelcastConfigs.REQUESTS_MAP).put(JobStore.requestKey("tenant/acme", "r-9"), "job-reserved");
    List<Job> batch = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      batch.add(fresh("tenant/acme", i == 17 ? "r-9" : "bulk-" + i));
    }

    List<JobStore.Accepted> r = store.createAllIdempotent(batch).results();

    assertThat(r).allMatch(JobStore.Accepted::created);
    assertThat(r.get(17).job().getJobId()).isEqualTo("job-reserved");
    assertThat(store.get("job-reserved").getSpec().getRequestId()).isEqualTo("r-9");
    assertThat(durable.countJobs()).isEqualTo(50);
  }

  /**
   * An update starts from the copy this member wrote last, not a read: when another member changed
   * the job since, the compare-and-set fails and the change is decided again on the current record,
   * whether the stale copy would have declined the change or taken it.
   */
  @Test
  void anUpdateDecidesOnTheCurrentRecordWhenAnotherMemberChangedTheJob() {
    String id = store.createIdempotent(fresh("tenant/acme", "r-1")).job().getJobId();
    com.hazelcast.map.IMap<String, StoredJob> map = hz.getMap(HazelcastConfigs.JOBS_MAP);
    Job mine = store.update(id, j -> JobLifecycle.assign(j, "node-a", 7, Instant.now()));

    // Another member requeues it: this member's copy (ASSIGNED) declines an assignment, the current
    // record (QUEUED) takes it.
    map.put(id, JobStore.encode(mine.toBuilder().setState(JobState.JOB_STATE_QUEUED).build()));
    Job again = store.update(id, j -> JobLifecycle.assign(j, "node-a", 9, Instant.now()));
    assertThat(again).isNotNull();
    assertThat(again.getAttemptsCount()).isEqualTo(2);
    assertThat(store.get(id)).isEqualTo(again);

    // Another member gives the job to node-b: this member's copy (on node-a) would take node-a's
    // report, the current record refuses it.
    Job elsewhere = JobLifecycle.assign(again.toBuilder().setState(JobState.JOB_STATE_QUEUED).build(), "node-b", 11, Instant.now());
    map.put(id, JobStore.encode(elsewhere));
    UnaryOperator<Job> runningOnA = j -> j.getAttempts(j.getAttemptsCount() - 1).getNodeId().equals("node-a")
        ? j.toBuilder().setState(JobState.JOB_STATE_RUNNING).build() : null;
    assertThat(store.update(id, runningOnA)).isNull();
    assertThat(store.get(id)).isEqualTo(elsewhere);
  }

  /** The job {@code id} moved to {@code state} at {@code at} (as the lifecycle would, without the attempts). */
  private Job set(String id, JobState state, Instant at) {
    return store.update(id, j -> j.toBuilder().setState(state).setUpdatedAt(Timestamps.fromMillis(at.toEpochMilli())).build());
  }

  private Job array(String requestId, int instances) {
    Job a = fresh("tenant/acme", requestId);
    a = a.toBuilder().setSpec(a.getSpec().toBuilder().setInstances(instances)).build();
    return store.createArrayIdempotent(ArrayJobs.withInitialStatus(a), ArrayJobs::instances).job();
  }

  /**
   * The retention sweep deletes what ended before the cutoff, with its request id claim, in the
   * cluster state and the journal; it keeps live jobs, jobs that ended later, a parent a BLOCKED
   * job waits on, and an array job while one of its instances has not ended.
   */
  @Test
  void theRetentionSweepDeletesWhatEndedBeforeTheCutoffAndKeepsWhatIsStillNeeded() {
    Instant longAgo = Instant.parse("2026-11-01T00:00:00Z");
    Instant cutoff = Instant.parse("2026-11-20T00:00:00Z");
    Instant recently = Instant.parse("2026-11-27T00:00:00Z");
    String old = store.createIdempotent(fresh("tenant/acme", "old")).job().getJobId();
    set(old, JobState.JOB_STATE_SUCCEEDED, longAgo);
    String recent = store.createIdempotent(fresh("tenant/acme", "recent")).job().getJobId();
    set(recent, JobState.JOB_STATE_FAILED, recently);
    String live = store.createIdempotent(fresh("tenant/acme", "live")).job().getJobId();
    set(live, JobState.JOB_STATE_RUNNING, longAgo);
    String parent = store.createIdempotent(fresh("tenant/acme", "parent")).job().getJobId();
    set(parent, JobState.JOB_STATE_SUCCEEDED, longAgo);
    Job child = fresh("tenant/acme", "child");
    child = child.toBuilder().setState(JobState.JOB_STATE_BLOCKED).setSpec(child.getSpec().toBuilder()
        .addDependsOn(JobDependency.newBuilder().setJobId(parent)).addDependsOn(JobDependency.newBuilder().setJobId(live)))
        .build();
    String blocked = store.createIdempotent(child).job().getJobId();
    String done = array("done-array", 3).getJobId();
    for (int i = 0; i < 3; i++) {
      set(ArrayJobs.instanceId(done, i), JobState.JOB_STATE_SUCCEEDED, longAgo);
    }
    set(done, JobState.JOB_STATE_SUCCEEDED, longAgo);
    Job gift = fresh("nonprofit-job", "donated");
    String donated = store.createIdempotent(gift.toBuilder().setSpec(gift.getSpec().toBuilder().setTier(Tier.TIER_DONATED))
        .build()).job().getJobId();
    set(donated, JobState.JOB_STATE_SUCCEEDED, longAgo);
    String cut = array("cancelled-array", 2).getJobId();
    set(ArrayJobs.instanceId(cut, 0), JobState.JOB_STATE_CANCELLED, longAgo);
    set(ArrayJobs.instanceId(cut, 1), JobState.JOB_STATE_RUNNING, longAgo);
    set(cut, JobState.JOB_STATE_CANCELLED, longAgo);

    JobStore.Deleted d = store.deleteEndedBefore(cutoff.toEpochMilli(), () -> true);

    assertThat(d).isEqualTo(new JobStore.Deleted(2, 2));
    for (String gone : List.of(old, done, ArrayJobs.instanceId(done, 0), ArrayJobs.instanceId(done, 2))) {
      assertThat(store.get(gone)).as(gone).isNull();
      assertThat(durable.jobs().load(gone)).as("journal record of %s", gone).isNull();
    }
    assertThat(durable.requests().load(JobStore.requestKey("tenant/acme", "old"))).isNull();
    assertThat(store.jobIdOfRequest("tenant/acme", "done-array")).isNull();
    // A DONATED job stays: its nonprofit's donation report is computed from it.
    for (String kept : List.of(recent, live, parent, blocked, cut, ArrayJobs.instanceId(cut, 1), donated)) {
      assertThat(store.get(kept)).as(kept).isNotNull();
    }
    // The cancelled array's ended instance went; the array waits for its running one.
    assertThat(store.get(ArrayJobs.instanceId(cut, 0))).isNull();
    assertThat(store.jobIdOfRequest("tenant/acme", "cancelled-array")).isEqualTo(cut);
    // The request id is free again: a retry now is a new submission.
    JobStore.Accepted again = store.createIdempotent(fresh("tenant/acme", "old"));
    assertThat(again.created()).isTrue();
    assertThat(again.job().getJobId()).isNotEqualTo(old);

    // Once the blocked job is no longer blocked and the instance has ended, the rest goes too.
    set(blocked, JobState.JOB_STATE_CANCELLED, longAgo);
    set(ArrayJobs.instanceId(cut, 1), JobState.JOB_STATE_CANCELLED, longAgo);
    assertThat(store.deleteEndedBefore(cutoff.toEpochMilli(), () -> true)).isEqualTo(new JobStore.Deleted(3, 0));
    assertThat(store.get(parent)).isNull();
    assertThat(store.get(cut)).isNull();
    assertThat(store.get(ArrayJobs.instanceId(cut, 1))).isNull();
    assertThat(store.get(recent)).isNotNull();
  }

  /** Records read back from the journal carry when they ended, so the sweep after a restart sees their age. */
  @Test
  void afterARestartTheSweepKnowsWhenTheReloadedJobsEnded() {
    Instant longAgo = Instant.parse("2026-11-01T00:00:00Z");
    Instant recently = Instant.parse("2026-11-27T00:00:00Z");
    String old = store.createIdempotent(fresh("tenant/acme", "old")).job().getJobId();
    set(old, JobState.JOB_STATE_EXPIRED, longAgo);
    String recent = store.createIdempotent(fresh("tenant/acme", "recent")).job().getJobId();
    set(recent, JobState.JOB_STATE_SUCCEEDED, recently);
    String array = array("an-array", 2).getJobId();
    set(ArrayJobs.instanceId(array, 0), JobState.JOB_STATE_SUCCEEDED, longAgo);
    StoredJob instance = durable.jobs().load(ArrayJobs.instanceId(array, 0));
    assertThat(instance.endedAt()).as("an instance goes with its array").isZero();
    assertThat(durable.jobs().load(old).endedAt()).isEqualTo(longAgo.toEpochMilli());

    restart();

    assertThat(store.deleteEndedBefore(Instant.parse("2026-11-20T00:00:00Z").toEpochMilli(), () -> true))
        .isEqualTo(new JobStore.Deleted(1, 0));
    assertThat(store.get(old)).isNull();
    assertThat(store.get(recent)).isNotNull();
    assertThat(store.get(ArrayJobs.instanceId(array, 0))).isNotNull();
  }

  /** One look-up serves the ended jobs of several owners: their BLOCKED jobs, and no one else's. */
  @Test
  void blockedOfReturnsTheBlockedJobsOfTheOwnersAskedAbout() {
    String acme = blocked("tenant/acme", "a");
    String globex = blocked("tenant/globex", "g");
    blocked("tenant/initech", "i");
    store.createIdempotent(fresh("tenant/acme", "queued"));

    assertThat(store.blockedOf(java.util.Set.of("tenant/acme", "tenant/globex")))
        .extracting(Job::getJobId).containsExactlyInAnyOrder(acme, globex);
    assertThat(store.blockedOf(java.util.Set.of("tenant/nobody"))).isEmpty();
  }

  /** The counts by state that the dashboard and the metrics show, through the state index, any owner. */
  @Test
  void countInStateCountsTheJobsOfEachStateWhateverTheirOwner() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(store.createIdempotent(fresh(i % 2 == 0 ? "tenant-a" : "tenant-b", "count-" + i)).job().getJobId());
    }
    assertThat(store.countInState(JobState.JOB_STATE_QUEUED)).isEqualTo(5);
    store.update(ids.get(0), j -> j.toBuilder().setState(JobState.JOB_STATE_SUCCEEDED).build());
    store.update(ids.get(3), j -> j.toBuilder().setState(JobState.JOB_STATE_SUCCEEDED).build());
    store.update(ids.get(4), j -> j.toBuilder().setState(JobState.JOB_STATE_FAILED).build());
    assertThat(store.countInState(JobState.JOB_STATE_QUEUED)).isEqualTo(2);
    assertThat(store.countInState(JobState.JOB_STATE_SUCCEEDED)).isEqualTo(2);
    assertThat(store.countInState(JobState.JOB_STATE_FAILED)).isEqualTo(1);
    assertThat(store.countInState(JobState.JOB_STATE_RUNNING)).isZero();
  }

  private String blocked(String owner, String requestId) {
    Job j = fresh(owner, requestId);
    return store.createIdempotent(j.toBuilder().setState(JobState.JOB_STATE_BLOCKED).build()).job().getJobId();
  }
}
