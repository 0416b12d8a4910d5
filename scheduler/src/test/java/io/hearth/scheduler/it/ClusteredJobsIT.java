package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.LocalMapStats;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.hearth.api.v1.GetJobLogsRequest;
import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobDependency;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.LogChunk;
import io.hearth.api.v1.SubmitJobsRequest;
import io.hearth.api.v1.SubmitJobsResponse;
import io.hearth.scheduler.cluster.HazelcastConfigs;
import io.hearth.scheduler.cluster.JobStore;
import io.hearth.scheduler.config.SchedulerOptions;
import io.hearth.worker.agent.NodeAgent;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two scheduler members in one cluster, the node connected to the one that does not lead and the
 * client talking to the leader: a parent's end reported on the follower releases its dependents
 * (placed by the leader), an array's aggregate moves whichever member applies its instances'
 * reports, and GetJobLogs served by the leader reaches the node through the follower.
 */
class ClusteredJobsIT {

  @TempDir static Path work;
  static final List<TestScheduler> members = new ArrayList<>();
  static TestScheduler leader;
  static TestScheduler follower;
  static NodeAgent node;
  static String cluster;

  @BeforeAll
  static void start() throws Exception {
    SchedulerOptions base = TestScheduler.options().storeDataDir(work.resolve("db").toString()).build();
    int[] ports = {ClusterIT.freePort(), ClusterIT.freePort()};
    cluster = "hearth-jobs-" + UUID.randomUUID();
    List<SchedulerOptions> options = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      options.add(base.toBuilder().clusterName(cluster).clusterPort(ports[i])
          .clusterMembers(List.of("127.0.0.1:" + ports[1 - i])).expectedMembers(2).build());
    }
    members.addAll(ClusterIT.startAll(options));
    await().atMost(Duration.ofSeconds(30)).until(() -> ClusterIT.leader(members) != null);
    leader = ClusterIT.leader(members);
    follower = members.get(0) == leader ? members.get(1) : members.get(0);
    node = Agents.datacenter(follower, "dc-far", work, 8, "eu");
    await().atMost(Duration.ofSeconds(30)).until(node::isConnected);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    members.forEach(TestScheduler::close);
  }

  @Test
  void dependenciesArraysAndLogsWorkAcrossMembers() {
    JobServiceGrpc.JobServiceBlockingStub acme = leader.jobs("tenant/acme");
    SubmitJobsResponse r = acme.submitJobs(SubmitJobsRequest.newBuilder()
        .addSpecs(TestScheduler.spec("far-parent", "sh", "-c", "echo parent"))
        .addSpecs(TestScheduler.spec("far-array", "sh", "-c", "echo i=$HEARTH_INSTANCE_ID").setInstances(10)
            .addDependsOn(JobDependency.newBuilder().setRequestId("far-parent")))
        .addSpecs(TestScheduler.spec("far-child", "sh", "-c", "echo child after $HEARTH_JOB_ID")
            .addDependsOn(JobDependency.newBuilder().setRequestId("far-array")))
        .build());
    String array = r.getResults(1).getJob().getJobId();
    String child = r.getResults(2).getJob().getJobId();
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() ->
        acme.getJob(GetJobRequest.newBuilder().setJobId(child).build()).getState() == JobState.JOB_STATE_SUCCEEDED);
    Job a = acme.getJob(GetJobRequest.newBuilder().setJobId(array).build());
    assertThat(a.getState()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
    assertThat(a.getArray().getSucceeded()).isEqualTo(10);

    // Served by the leader, which does not hold the node's stream; and by the follower, which does.
    assertThat(logs(acme, child)).isEqualTo("child after " + child + "\n");
    assertThat(logs(acme, array + ".7")).isEqualTo("i=7\n");
    assertThat(logs(follower.jobs("tenant/acme"), array + ".3")).isEqualTo("i=3\n");
  }

  /**
   * The retention sweep (run here at once, with a cutoff after the jobs ended) deletes on the leader
   * what the partitions of both members hold, and their backups with them: no member can still
   * serve a deleted job, nor bring it back by promoting a backup.
   */
  @Test
  void deletedJobsAreGoneOnEveryMemberAndFromTheBackups() {
    JobServiceGrpc.JobServiceBlockingStub acme = leader.jobs("tenant/acme");
    SubmitJobsResponse r = acme.submitJobs(SubmitJobsRequest.newBuilder()
        .addSpecs(TestScheduler.spec("far-gone", "true"))
        .addSpecs(TestScheduler.spec("far-gone-array", "true").setInstances(6))
        .build());
    List<String> ids = new ArrayList<>(List.of(r.getResults(0).getJob().getJobId(), r.getResults(1).getJob().getJobId()));
    for (int i = 0; i < 6; i++) {
      ids.add(ids.get(1) + "." + i);
    }
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> ids.stream().limit(2)
        .allMatch(id -> acme.getJob(GetJobRequest.newBuilder().setJobId(id).build()).getState() == JobState.JOB_STATE_SUCCEEDED));

    JobStore.Deleted d = leader.scheduler.store().deleteEndedBefore(System.currentTimeMillis() + 1_000, () -> true);

    assertThat(d.jobs()).isGreaterThanOrEqualTo(2);
    for (TestScheduler member : members) {
      for (String id : ids) {
        assertThat(member.scheduler.store().get(id)).as("%s on a member", id).isNull();
        assertThatThrownBy(() -> member.jobs("tenant/acme").getJob(GetJobRequest.newBuilder().setJobId(id).build()))
            .isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
      }
    }
    // Every entry a member owns has one backup on the other member, and no backup outlives its entry.
    long owned = 0;
    long backups = 0;
    for (HazelcastInstance hz : Hazelcast.getAllHazelcastInstances()) {
      if (hz.getConfig().getClusterName().equals(cluster)) {
        LocalMapStats stats = hz.getMap(HazelcastConfigs.JOBS_MAP).getLocalMapStats();
        owned += stats.getOwnedEntryCount();
        backups += stats.getBackupEntryCount();
      }
    }
    assertThat(backups).isEqualTo(owned);
    assertThat(follower.jobs("tenant/acme").submitJobs(SubmitJobsRequest.newBuilder()
        .addSpecs(TestScheduler.spec("far-gone", "true")).build()).getResults(0).getCreated()).isTrue();
  }

  private static String logs(JobServiceGrpc.JobServiceBlockingStub stub, String jobId) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    stub.getJobLogs(GetJobLogsRequest.newBuilder().setJobId(jobId).build())
        .forEachRemaining((LogChunk c) -> out.writeBytes(c.getData().toByteArray()));
    return out.toString(StandardCharsets.UTF_8);
  }
}
