package io.hearth.scheduler.metrics;

import io.hearth.scheduler.placement.NodeKinds;
import io.hearth.scheduler.placement.NodeStates;
import io.hearth.scheduler.placement.Tiers;
import io.hearth.scheduler.scheduling.FleetSnapshot;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The fleet in a few numbers, computed once per aggregation from a {@link FleetSnapshot} and the
 * job counts: nodes by kind, class and state, heat wanted and delivered, the useful heat fraction,
 * the data-center share, and the same per site. Pure and immutable: the metrics, the dashboard and
 * the admin API read one instance from any thread.
 *
 * <p>Definitions: heat delivered = for each connected heater node, the smaller of its compute draw
 * and its room's or tank's demand (compute heat that went where heat was wanted); useful heat
 * fraction = delivered / compute draw of heater nodes; data-center share = cores reserved on
 * DATACENTER nodes / all reserved cores.
 */
public final class FleetFigures {

  /** Index bounds of the small-int constants (kinds 1..3, classes 1..4, states 1..3, tiers 1..4, job states 1..7). */
  public static final int KINDS = 3;
  public static final int CLASSES = 4;
  public static final int STATES = 3;
  public static final int TIERS = 4;
  public static final int JOB_STATES = 8;

  /** Below this share of their full-load power wanted, radiators are in summer. */
  static final double SUMMER_DEMAND_RATIO = 0.05;
  /** At or above this share, radiators are in the heating season. */
  static final double WINTER_DEMAND_RATIO = 0.25;

  /** The site of nodes whose hello named none. */
  public static final String NO_SITE = "(none)";

  public static final FleetFigures EMPTY = of(FleetSnapshot.EMPTY, new long[JOB_STATES + 1], 0);

  /** One site (building, plant room, data center): its nodes added up. */
  public record Site(String name, String region, int nodes, int heaters, int cores, int reservedCores,
      double heatWantedWatts, double heatDeliveredWatts, double computeDrawWatts, int drained, int lost,
      int kindMask) {}

  private final long atMillis;
  private final FleetSnapshot snapshot;
  private final long[] jobsByState;
  private final int members;
  private final int[][][] nodes = new int[KINDS + 1][CLASSES + 1][STATES + 1];
  private final int[] nodesByState = new int[STATES + 1];
  private final double[] drawByKind = new double[KINDS + 1];
  private final int[] runningByTier = new int[TIERS + 1];
  private final int[] runningCoresByTier = new int[TIERS + 1];
  private final List<Site> sites;
  private double heatWanted;
  private double heatDelivered;
  private double heaterDraw;
  private double computeDraw;
  private double radiatorDemand;
  private double radiatorCapacity;
  private int reservedCores;
  private int datacenterReservedCores;
  private double outdoorSum;
  private int outdoorCount;

  private FleetFigures(FleetSnapshot snapshot, long[] jobsByState, int members) {
    this.atMillis = snapshot.atMillis();
    this.snapshot = snapshot;
    this.jobsByState = jobsByState.clone();
    this.members = members;
    Map<String, double[]> bySite = new HashMap<>();
    Map<String, String> regions = new HashMap<>();
    for (FleetSnapshot.Node n : snapshot.nodes()) {
      int kind = clamp(n.kind(), KINDS);
      int state = clamp(n.state(), STATES);
      nodes[kind][clamp(n.securityClass(), CLASSES)][state]++;
      nodesByState[state]++;
      String siteName = siteOf(n);
      double[] site = bySite.computeIfAbsent(siteName, s -> new double[11]);
      regions.putIfAbsent(siteName, n.region());
      site[0]++;
      site[2] += n.cores();
      site[3] += n.reservedCores();
      site[10] = ((int) site[10]) | (1 << kind);
      if (n.drained()) {
        site[8]++;
      }
      if (state == NodeStates.LOST) {
        site[9]++;
        continue;
      }
      reservedCores += n.reservedCores();
      double draw = n.computeDrawWatts();
      computeDraw += draw;
      drawByKind[kind] += draw;
      site[6] += draw;
      if (NodeKinds.isHeater(kind)) {
        double wanted = n.heatDemandWatts();
        double delivered = Math.min(draw, wanted);
        heatWanted += wanted;
        heatDelivered += delivered;
        heaterDraw += draw;
        site[1]++;
        site[4] += wanted;
        site[5] += delivered;
        if (kind == NodeKinds.RADIATOR) {
          radiatorDemand += wanted;
          radiatorCapacity += n.maxWatts();
        }
        outdoorSum += n.outdoorTemperatureC();
        outdoorCount++;
      } else {
        datacenterReservedCores += n.reservedCores();
      }
    }
    for (FleetSnapshot.Attempt a : snapshot.attempts()) {
      int tier = clamp(a.tier(), TIERS);
      runningByTier[tier]++;
      runningCoresByTier[tier] += a.cores();
    }
    List<Site> list = new ArrayList<>(bySite.size());
    bySite.forEach((name, s) -> list.add(new Site(name, regions.get(name), (int) s[0], (int) s[1], (int) s[2],
        (int) s[3], s[4], s[5], s[6], (int) s[8], (int) s[9], (int) s[10])));
    list.sort((a, b) -> a.name().compareTo(b.name()));
    this.sites = List.copyOf(list);
  }

  /** Aggregates a snapshot; {@code jobsByState} is indexed by {@code JobState} number (1..7). */
  public static FleetFigures of(FleetSnapshot snapshot, long[] jobsByState, int members) {
    return new FleetFigures(snapshot, Arrays.copyOf(jobsByState, JOB_STATES + 1), members);
  }

  /** The node's site as figures, metrics and the dashboard name it ({@link #NO_SITE} when empty). */
  public static String siteOf(FleetSnapshot.Node n) {
    return n.site().isEmpty() ? NO_SITE : n.site();
  }

  private static int clamp(int v, int max) {
    return v < 1 || v > max ? 0 : v;
  }

  public long atMillis() { return atMillis; }
  public FleetSnapshot snapshot() { return snapshot; }
  public int members() { return members; }
  public List<Site> sites() { return sites; }

  /** Nodes of one kind, class and state (the placement core's small ints). */
  public int nodes(int kind, int securityClass, int state) {
    return nodes[clamp(kind, KINDS)][clamp(securityClass, CLASSES)][clamp(state, STATES)];
  }

  public int nodesInState(int state) {
    return nodesByState[clamp(state, STATES)];
  }

  public int nodesOfKind(int kind, int state) {
    int n = 0;
    for (int c = 1; c <= CLASSES; c++) {
      n += nodes[clamp(kind, KINDS)][c][clamp(state, STATES)];
    }
    return n;
  }

  public int nodesTotal() {
    return snapshot.nodes().size();
  }

  /** Jobs in one state ({@code JobState} number). */
  public long jobs(int jobState) {
    return jobState >= 1 && jobState <= JOB_STATES ? jobsByState[jobState] : 0;
  }

  public int pending(int tier) {
    return tier >= 1 && tier <= TIERS ? snapshot.pendingByTier()[tier - 1] : 0;
  }

  public int running(int tier) {
    return runningByTier[clamp(tier, TIERS)];
  }

  public int runningCores(int tier) {
    return runningCoresByTier[clamp(tier, TIERS)];
  }

  public int runningAttempts() {
    return snapshot.attempts().size();
  }

  /** Heat wanted by the rooms and tanks of connected heaters, W. */
  public double heatWantedWatts() { return heatWanted; }

  /** Compute heat that went where heat was wanted, W. */
  public double heatDeliveredWatts() { return heatDelivered; }

  /** Compute draw of connected heater nodes, W. */
  public double heaterDrawWatts() { return heaterDraw; }

  /** Compute draw of every connected node, W. */
  public double computeDrawWatts() { return computeDraw; }

  public double computeDrawWatts(int kind) {
    return drawByKind[clamp(kind, KINDS)];
  }

  /** Delivered / heater draw, 0..1; NaN when heaters draw nothing. */
  public double usefulHeatFraction() {
    return heaterDraw > 0 ? heatDelivered / heaterDraw : Double.NaN;
  }

  /** Cores reserved on data-center nodes / all reserved cores, 0..1; 0 when nothing runs. */
  public double datacenterShare() {
    return reservedCores > 0 ? (double) datacenterReservedCores / reservedCores : 0;
  }

  public int reservedCores() { return reservedCores; }

  public double donatedCoreHours() {
    return snapshot.donatedCoreHours();
  }

  /** Radiator demand / radiator full-load power, 0..1 (0 without radiators): the season as the data shows it. */
  public double radiatorDemandRatio() {
    return radiatorCapacity > 0 ? radiatorDemand / radiatorCapacity : 0;
  }

  /** "winter", "mid-season" or "summer", from {@link #radiatorDemandRatio()}; "unknown" without radiators. */
  public String season() {
    if (radiatorCapacity <= 0) {
      return "unknown";
    }
    double r = radiatorDemandRatio();
    return r < SUMMER_DEMAND_RATIO ? "summer" : r < WINTER_DEMAND_RATIO ? "mid-season" : "winter";
  }

  /** Mean outdoor temperature reported by connected heaters, C; NaN without any. */
  public double meanOutdoorC() {
    return outdoorCount > 0 ? outdoorSum / outdoorCount : Double.NaN;
  }

  /** Whether {@code tier} is a valid tier number (1..4). */
  public static boolean isTier(int tier) {
    return tier >= Tiers.RESERVED && tier <= Tiers.DONATED;
  }
}
