package io.hearth.scheduler.scheduling;

import io.hearth.scheduler.placement.Tiers;
import java.util.List;

/**
 * A copy of the placer's view taken on its thread ({@link Placer#snapshot()}): every node with its
 * last telemetry, every attempt holding a reservation, the queue by tier. Immutable, so the
 * dashboard, the metrics and the admin API may read it from any thread.
 *
 * @param atMillis when it was taken, epoch ms
 * @param nodes every node that said hello to this member, in no particular order
 * @param attempts every attempt assigned and not ended
 * @param pendingByTier queued jobs by tier, index tier - 1
 * @param donatedCoreMillisEnded cores x ms of DONATED attempts that ended since this placer started
 */
public record FleetSnapshot(long atMillis, List<Node> nodes, List<Attempt> attempts, int[] pendingByTier,
    long donatedCoreMillisEnded) {

  public static final FleetSnapshot EMPTY = new FleetSnapshot(0, List.of(), List.of(), new int[4], 0);

  /**
   * One node. Kind, class and state are the placement core's small ints ({@code NodeKinds},
   * {@code SecurityClasses}, {@code NodeStates}); watts and degrees are from its last telemetry.
   */
  public record Node(String nodeId, int kind, int securityClass, int state, boolean drained, int cores,
      int reservedCores, int runningAttempts, double maxWatts, double heatDemandWatts, double computeDrawWatts,
      double insideTemperatureC, double outdoorTemperatureC, String site, String region, long lastSeenMillis) {}

  /** One attempt holding a reservation. */
  public record Attempt(String jobId, String nodeId, int tier, int cores, long assignedAtMillis) {}

  /** Core-hours of DONATED attempts: those that ended plus the running ones up to {@link #atMillis}. */
  public double donatedCoreHours() {
    long coreMillis = donatedCoreMillisEnded;
    for (Attempt a : attempts) {
      if (a.tier() == Tiers.DONATED) {
        coreMillis += a.cores() * Math.max(0, atMillis - a.assignedAtMillis());
      }
    }
    return coreMillis / 3_600_000.0;
  }
}
