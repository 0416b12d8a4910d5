package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.hearth.api.v1.Attempt;
import io.hearth.api.v1.AttemptState;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.api.v1.SubmitJobResponse;
import io.hearth.client.Members;
import io.hearth.client.Retrying;
import io.hearth.scheduler.config.SchedulerOptions;
import io.hearth.scheduler.job.JobLifecycle;
import io.hearth.worker.agent.CompletedAttempt;
import io.hearth.worker.agent.NodeAgent;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three scheduler members in one JVM forming one cluster (one cluster name, a member list, one
 * shared H2 store): the leader is halted abruptly in the middle of a load, and later every member is
 * stopped and started again. No acknowledged job may be lost or complete twice, placement must
 * resume within seconds, and after the restart every job is there with its state and attempts.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

  static final int JOBS = 600;
  static final int AGENTS = 6;

  @TempDir static Path work;
  static final List<TestScheduler> members = new ArrayList<>();
  static final Map<String, Job> acknowledged = new ConcurrentHashMap<>();
  static SchedulerOptions base;

  static List<SchedulerOptions> memberOptions(int n) {
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ports.add(freePort());
    }
    String cluster = "hearth-ha-" + UUID.randomUUID();
    List<SchedulerOptions> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int me = ports.get(i);
      out.add(base.toBuilder().clusterName(cluster).clusterPort(me)
          .clusterMembers(ports.stream().filter(p -> p != me).map(p -> "127.0.0.1:" + p).toList())
          .expectedMembers(n).build());
    }
    return out;
  }

  static List<TestScheduler> startAll(List<SchedulerOptions> options) throws Exception {
    ExecutorService starter = Executors.newFixedThreadPool(options.size());
    try {
      List<Future<TestScheduler>> started = new ArrayList<>();
      for (SchedulerOptions o : options) {
        started.add(starter.submit(() -> TestScheduler.start(o)));
      }
      List<TestScheduler> out = new ArrayList<>();
      for (Future<TestScheduler> f : started) {
        out.add(f.get(120, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      starter.shutdownNow();
    }
  }

  static String targets(List<TestScheduler> list) {
    return list.stream().map(m -> "127.0.0.1:" + m.port()).collect(Collectors.joining(","));
  }

  static TestScheduler leader(List<TestScheduler> list) {
    return list.stream().filter(m -> m.scheduler.placer().isLeader()).findFirst().orElse(null);
  }

  @AfterAll
  static void stop() {
    members.forEach(TestScheduler::close);
  }

  @Test
  @Order(1)
  void theLeaderHaltedMidLoadLosesNoJobAndNoneCompletesTwice() throws Exception {
    // Node liveness is not what this test is about: with the 3 s node timeout of the other tests, a
    // CI run on a loaded 2-core machine once saw a live agent silent for 3.4 s, declared lost, and
    // the attempts it then finished run again elsewhere (fenced, but run twice: node loss is
    // at-least-once by design, see FaultsIT). 15 s keeps that apart from the leader's failover.
    base = TestScheduler.options().storeDataDir(work.resolve("db").toString())
        .failureTimeout(Duration.ofSeconds(3)).nodeTimeout(Duration.ofSeconds(15)).build();
    members.addAll(startAll(memberOptions(3)));
    await().atMost(Duration.ofSeconds(30)).until(() -> leader(members) != null);
    TestScheduler first = leader(members);
    String all = targets(members);

    List<NodeAgent> agents = new ArrayList<>();
    ManagedChannel client = Grpc.newChannelBuilder(Members.target(all), TestScheduler.credentials("tenant/acme")).build();
    ExecutorService submitters = Executors.newFixedThreadPool(4);
    try {
      for (int i = 0; i < AGENTS; i++) {
        agents.add(dataCenterAgent(all, "ha-dc-" + i, "ha").telemetryInterval(Duration.ofMillis(200))
            .cancelGrace(Duration.ofSeconds(1)).reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
            .build().start());
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> agents.stream().allMatch(NodeAgent::isConnected));

      Retrying retrying = Retrying.upTo(Duration.ofSeconds(60));
      JobServiceGrpc.JobServiceBlockingStub stub = JobServiceGrpc.newBlockingStub(client);
      AtomicInteger next = new AtomicInteger();
      List<Future<?>> work = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        work.add(submitters.submit(() -> {
          for (int i = next.getAndIncrement(); i < JOBS; i = next.getAndIncrement()) {
            SubmitJobRequest request = SubmitJobRequest.newBuilder()
                .setSpec(TestScheduler.spec("ha-" + i, "true").addAllowedRegions("ha")).build();
            SubmitJobResponse r = retrying.call(() -> stub.withDeadlineAfter(10, TimeUnit.SECONDS).submitJob(request));
            acknowledged.put(r.getJob().getJobId(), r.getJob());
            // Keep the load steady rather than front-loaded: at most 40 accepted jobs not yet run,
            // so submissions go on across the halt below.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10))
                .until(() -> acknowledged.size() - completed(agents) < 40);
          }
          return null;
        }));
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> completed(agents) >= JOBS / 4);
      Instant halted = Instant.now();
      first.scheduler.halt();
      members.remove(first);
      long t0 = System.nanoTime();
      await().atMost(Duration.ofSeconds(30)).until(() -> leader(members) != null);
      long takeoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      for (Future<?> f : work) {
        f.get(180, TimeUnit.SECONDS);
      }
      assertThat(acknowledged).hasSize(JOBS);

      TestScheduler survivor = members.get(0);
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() ->
          acknowledged.keySet().stream().allMatch(id -> JobLifecycle.isTerminal(survivor.scheduler.store().get(id).getState())));

      Instant resumed = Instant.MAX;
      Map<String, Integer> byRequest = new HashMap<>();
      int retried = 0;
      for (String id : acknowledged.keySet()) {
        Job j = survivor.scheduler.store().get(id);
        assertThat(j.getState()).as(id).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
        assertThat(j.getAttemptsList().stream().filter(a -> a.getState() == AttemptState.ATTEMPT_STATE_SUCCEEDED))
            .as("successful attempts of %s", id).hasSize(1);
        retried += j.getAttemptsCount() > 1 ? 1 : 0;
        for (Attempt a : j.getAttemptsList()) {
          Instant at = JobLifecycle.instant(a.getAssignedAt());
          // A halted member stops placing at once: what is assigned 200 ms later is the new leader's.
          if (at.isAfter(halted.plusMillis(200)) && at.isBefore(resumed)) {
            resumed = at;
          }
        }
        byRequest.merge(j.getSpec().getRequestId(), 1, Integer::sum);
      }
      // No duplicates: one job per request id among every job the cluster holds.
      for (Job j : survivor.scheduler.store().list(null, List.of(), 0, null, Integer.MAX_VALUE)) {
        if (j.getSpec().getRequestId().startsWith("ha-")) {
          assertThat(acknowledged).as("job %s of request %s", j.getJobId(), j.getSpec().getRequestId())
              .containsKey(j.getJobId());
        }
      }
      assertThat(byRequest.values()).allMatch(n -> n == 1);
      // The workers' own records: every job ran to success exactly once across the fleet.
      Map<String, Long> successes = agents.stream().flatMap(a -> a.completedAttempts().stream())
          .filter(c -> c.state() == AttemptState.ATTEMPT_STATE_SUCCEEDED)
          .collect(Collectors.groupingBy(CompletedAttempt::jobId, Collectors.counting()));
      assertThat(successes.keySet()).containsAll(acknowledged.keySet());
      assertThat(successes.values()).allMatch(n -> n == 1);
      long resumeMs = Duration.between(halted, resumed).toMillis();
      System.out.printf("ClusterIT failover: %d jobs acknowledged, 0 lost, 0 completed twice, %d with more than one"
          + " attempt; new leader after %d ms, placement resumed %d ms after the halt; client retries %d%n",
          acknowledged.size(), retried, takeoverMs, resumeMs, retrying.retries());
      assertThat(resumeMs).isLessThan(10_000);
    } finally {
      submitters.shutdownNow();
      agents.forEach(NodeAgent::close);
      client.shutdownNow();
    }
  }

  @Test
  @Order(2)
  void stoppingAndStartingEveryMemberKeepsEveryJobWithItsStateAndAttempts() throws Exception {
    assertThat(acknowledged).hasSize(JOBS);
    Map<String, Job> before = new HashMap<>();
    for (String id : acknowledged.keySet()) {
      before.put(id, members.get(0).scheduler.store().get(id));
    }
    members.forEach(TestScheduler::close);
    members.clear();

    members.addAll(startAll(memberOptions(3)));
    await().atMost(Duration.ofSeconds(30)).until(() -> leader(members) != null);
    for (TestScheduler m : members) {
      for (Job old : before.values()) {
        Job now = m.scheduler.store().get(old.getJobId());
        assertThat(now).as(old.getJobId()).isNotNull();
        assertThat(now.getState()).isEqualTo(old.getState());
        assertThat(now.getAttemptsList()).isEqualTo(old.getAttemptsList());
      }
    }
    System.out.printf("ClusterIT restart: %d of %d jobs back on each of %d members with their states and attempts%n",
        before.size(), acknowledged.size(), members.size());
  }

  /**
   * When the leader dies, the members still up hand their node streams to the new leader at once
   * (it asks them to announce, and they address it by its own member id, never the dead leader's
   * registration the event bus may still hold), not when a node's next telemetry names it. In one
   * JVM a halted member's event-bus registrations are gone at once, so this does not reproduce a
   * SIGKILLed leader (the system test's longest-pause figure shows that case); it fails if the
   * announce on takeover does not reach the new leader.
   */
  @Test
  @Order(3)
  void theNewLeaderKnowsTheNodesOfTheSurvivingMembersBeforeTheirNextTelemetry() throws Exception {
    members.forEach(TestScheduler::close);
    members.clear();
    // Telemetry every 30 s: the leader can learn of a node it missed only from its hello.
    base = base.toBuilder().telemetryInterval(Duration.ofSeconds(30)).nodeTimeout(Duration.ofSeconds(120)).build();
    members.addAll(startAll(memberOptions(3)));
    await().atMost(Duration.ofSeconds(30)).until(() -> leader(members) != null);
    TestScheduler first = leader(members);
    List<TestScheduler> others = members.stream().filter(m -> m != first).toList();
    List<NodeAgent> agents = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        // Each agent knows one surviving member only, so its stream never moves.
        agents.add(dataCenterAgent("127.0.0.1:" + others.get(i % 2).port(), "fo-dc-" + i, "fo")
            .telemetryInterval(Duration.ofSeconds(30)).build().start());
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> first.scheduler.placer().view().readyNodes() == 4);

      first.scheduler.halt();
      members.remove(first);
      await().atMost(Duration.ofSeconds(30)).until(() -> leader(members) != null);
      TestScheduler next = leader(members);
      long t0 = System.nanoTime();
      await().atMost(Duration.ofSeconds(10)).until(() -> next.scheduler.placer().view().readyNodes() == 4);
      long knownMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

      // And it places on them.
      ManagedChannel channel = Grpc.newChannelBuilder("127.0.0.1:" + next.port(),
          TestScheduler.credentials("tenant/acme")).build();
      try {
        JobServiceGrpc.JobServiceBlockingStub stub = JobServiceGrpc.newBlockingStub(channel);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          ids.add(stub.submitJob(SubmitJobRequest.newBuilder()
              .setSpec(TestScheduler.spec("fo-" + i, "true").addAllowedRegions("fo")).build()).getJob().getJobId());
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> ids.stream()
            .allMatch(id -> next.scheduler.store().get(id).getState() == JobState.JOB_STATE_SUCCEEDED));
      } finally {
        channel.shutdownNow();
      }
      System.out.printf("ClusterIT failover: the new leader knew the 4 nodes of the surviving members %d ms after it"
          + " took over (telemetry every 30 s)%n", knownMs);
    } finally {
      agents.forEach(NodeAgent::close);
    }
  }

  /** A 4-core CERTIFIED data-center agent of {@code region} that knows the members {@code targets}. */
  static NodeAgent.Builder dataCenterAgent(String targets, String nodeId, String region) {
    return NodeAgent.builder().scheduler(targets).nodeId(nodeId)
        .credentials(TestScheduler.credentials("node/" + nodeId + "/CERTIFIED"))
        .workDir(work.resolve("agents").resolve(nodeId))
        .kind(io.hearth.api.v1.NodeKind.NODE_KIND_DATACENTER)
        .securityClass(io.hearth.api.v1.SecurityClass.SECURITY_CLASS_CERTIFIED)
        .cores(4).memoryMib(16384).maxWatts(80).wattsPerCore(20).region(region)
        .thermostat(new io.hearth.worker.thermal.NoHeat(io.hearth.worker.thermal.OutdoorTemperature.constant(15)));
  }

  static long completed(List<NodeAgent> agents) {
    return agents.stream().mapToLong(a -> a.completedAttempts().size()).sum();
  }


  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
