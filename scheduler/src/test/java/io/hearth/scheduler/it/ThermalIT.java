package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hearth.api.v1.Attempt;
import io.hearth.api.v1.AttemptState;
import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.NodeKind;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.api.v1.Tier;
import io.hearth.worker.agent.NodeAgent;
import io.hearth.worker.thermal.OutdoorTemperature;
import io.hearth.worker.thermal.SimulatedRoom;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thermal stops: when the weather turns mild under running work, the room's agent pauses work
 * first, then the scheduler preempts the lowest tier there and places it where heat is wanted; the
 * room never stays above setpoint + 1 K for longer than the configured interval.
 */
class ThermalIT {

  static final Duration PREEMPT_AFTER = Duration.ofSeconds(2);

  @TempDir Path work;

  @Test
  void aWarmRoomThrottlesThenItsWorkMovesToAColdOne() {
    AtomicReference<Double> outdoor = new AtomicReference<>(5.0);
    SimulatedRoom warming = SimulatedRoom.builder().ua(45).setpoint(20).initialTemperature(20).maxWatts(700)
        .outdoor(t -> outdoor.get()).build();
    try (TestScheduler hearth = TestScheduler.start(TestScheduler.options().thermalPreemptAfter(PREEMPT_AFTER)
            .preemptionGrace(Duration.ofMillis(500)).build());
        NodeAgent room = Agents.base(hearth, "rad-warming", work, "SEALED").kind(NodeKind.NODE_KIND_RADIATOR).cores(4)
            .memoryMib(8192).maxWatts(700).wattsPerCore(150).thermostat(warming)
            .throttleAfter(Duration.ofMillis(500)).build().start()) {
      await().atMost(Duration.ofSeconds(20)).until(() -> hearth.scheduler.placer().view().readyNodes() == 1);
      JobServiceGrpc.JobServiceBlockingStub bank = hearth.jobs("tenant/bank");
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        ids.add(bank.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec("t-" + i, "sleep", "60")
            .setTier(i == 0 ? Tier.TIER_RESERVED : Tier.TIER_FLEX).setMinSecurityClass(SecurityClass.SECURITY_CLASS_SEALED))
            .build()).getJob().getJobId());
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> ids.stream().allMatch(id -> state(bank, id) == JobState.JOB_STATE_RUNNING));

      try (NodeAgent cold = Agents.radiator(hearth, "rad-cold", work, 5, 45, SecurityClass.SECURITY_CLASS_SEALED)) {
        await().atMost(Duration.ofSeconds(20)).until(() -> hearth.scheduler.placer().view().readyNodes() == 2);
        // A mild afternoon: the room now wants ~90 W while its work makes 600 W.
        outdoor.set(18.0);
        AtomicInteger maxThrottled = new AtomicInteger();
        List<double[]> trace = new ArrayList<>();
        long t0 = System.nanoTime();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
          maxThrottled.accumulateAndGet(room.throttledCores(), Math::max);
          trace.add(new double[] {(System.nanoTime() - t0) / 1e9, room.lastReading().insideC()});
          // Settled: every job running again somewhere (a preempted job in transit is QUEUED, then
          // ASSIGNED until its new node reports it RUNNING).
          return ids.stream().filter(id -> movedToCold(bank, id)).count() >= 1 && room.throttledCores() == 0
              && ids.stream().allMatch(id -> state(bank, id) == JobState.JOB_STATE_RUNNING);
        });
        assertThat(maxThrottled.get()).as("the agent paused work first").isPositive();
        List<String> moved = ids.stream().filter(id -> movedToCold(bank, id)).toList();
        for (String id : moved) {
          Attempt first = get(bank, id).getAttempts(0);
          assertThat(first.getState()).isEqualTo(AttemptState.ATTEMPT_STATE_PREEMPTED);
          assertThat(first.getReason()).startsWith("room warm: node rad-warming kept");
        }
        // The lowest tier moves first: the RESERVED job moves only if every FLEX job has moved too.
        if (moved.contains(ids.get(0))) {
          assertThat(moved).containsAll(ids.subList(1, 4));
        } else {
          assertThat(moved).allMatch(id -> get(bank, id).getSpec().getTier() == Tier.TIER_FLEX);
        }
        assertThat(longestAbove(trace, 20 + 1)).isLessThanOrEqualTo(PREEMPT_AFTER.toMillis() / 1000.0);
        System.out.printf("thermal: %d cores paused at most, %d jobs moved, room max %.2f C%n", maxThrottled.get(),
            moved.size(), trace.stream().mapToDouble(p -> p[1]).max().orElse(0));
      }
    }
  }

  private static double longestAbove(List<double[]> trace, double limit) {
    double longest = 0;
    Double since = null;
    for (double[] p : trace) {
      if (p[1] > limit) {
        since = since == null ? p[0] : since;
        longest = Math.max(longest, p[0] - since);
      } else {
        since = null;
      }
    }
    return longest;
  }

  private static boolean movedToCold(JobServiceGrpc.JobServiceBlockingStub bank, String id) {
    Job j = get(bank, id);
    return j.getAttemptsCount() > 1 && j.getAttempts(j.getAttemptsCount() - 1).getNodeId().equals("rad-cold")
        && j.getState() == JobState.JOB_STATE_RUNNING;
  }

  private static Job get(JobServiceGrpc.JobServiceBlockingStub stub, String id) {
    return stub.getJob(GetJobRequest.newBuilder().setJobId(id).build());
  }

  private static JobState state(JobServiceGrpc.JobServiceBlockingStub stub, String id) {
    return get(stub, id).getState();
  }
}
