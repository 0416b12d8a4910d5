package io.hearth.scheduler.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.Workload;
import io.hearth.scheduler.config.SchedulerOptions;
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
}
