package io.hearth.scheduler.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.hearth.scheduler.placement.NodeKinds;
import io.hearth.scheduler.placement.NodeStates;
import io.hearth.scheduler.placement.SecurityClasses;
import io.hearth.scheduler.placement.Tiers;
import io.hearth.scheduler.scheduling.FleetSnapshot;
import java.util.List;
import org.junit.jupiter.api.Test;

class FleetFiguresTest {

  private static FleetSnapshot.Node node(String id, int kind, int state, int reserved, double demand, double draw,
      String site) {
    return new FleetSnapshot.Node(id, kind, kind == NodeKinds.DATACENTER ? SecurityClasses.CERTIFIED : SecurityClasses.SEALED,
        state, false, 4, reserved, reserved, 600, demand, draw, 19, 5, site, "fr-paris", 0);
  }

  private static final List<FleetSnapshot.Node> FLEET = List.of(
      node("rad-1", NodeKinds.RADIATOR, NodeStates.READY, 2, 600, 300, "bldg-1"),
      node("rad-2", NodeKinds.RADIATOR, NodeStates.READY, 0, 100, 300, "bldg-1"),
      node("boi-1", NodeKinds.BOILER, NodeStates.DRAINING, 0, 0, 150, "plant-1"),
      node("rad-3", NodeKinds.RADIATOR, NodeStates.LOST, 0, 900, 0, ""),
      node("dc-1", NodeKinds.DATACENTER, NodeStates.READY, 6, 0, 500, "dc"));

  private static FleetFigures figures(List<FleetSnapshot.Attempt> attempts, long donatedEnded) {
    return FleetFigures.of(new FleetSnapshot(3_600_000, FLEET, attempts, new int[] {0, 3, 1, 2}, donatedEnded),
        new long[] {0, 6, 0, 4, 10, 1, 0, 0}, 1);
  }

  @Test
  void heatDeliveredIsTheSmallerOfDrawAndDemandOnEachConnectedHeater() {
    FleetFigures f = figures(List.of(), 0);
    // rad-1 min(300, 600) + rad-2 min(300, 100) + boi-1 min(150, 0); rad-3 is lost, dc-1 is no heater.
    assertThat(f.heatDeliveredWatts()).isEqualTo(400);
    assertThat(f.heatWantedWatts()).isEqualTo(700);
    assertThat(f.heaterDrawWatts()).isEqualTo(750);
    assertThat(f.computeDrawWatts()).isEqualTo(1250);
    assertThat(f.usefulHeatFraction()).isCloseTo(400.0 / 750, within(1e-9));
  }

  @Test
  void usefulHeatFractionIsUndefinedWhenHeatersDrawNothing() {
    FleetFigures f = FleetFigures.of(new FleetSnapshot(0, List.of(
        node("rad-1", NodeKinds.RADIATOR, NodeStates.READY, 0, 500, 0, "b")), List.of(), new int[4], 0), new long[8], 1);
    assertThat(f.usefulHeatFraction()).isNaN();
    assertThat(f.datacenterShare()).isZero();
  }

  @Test
  void dataCenterShareIsReservedDataCenterCoresOverAllReservedCores() {
    assertThat(figures(List.of(), 0).datacenterShare()).isEqualTo(6.0 / 8);
  }

  @Test
  void countsNodesByKindClassAndStateAndJobsAndQueues() {
    FleetFigures f = figures(List.of(), 0);
    assertThat(f.nodes(NodeKinds.RADIATOR, SecurityClasses.SEALED, NodeStates.READY)).isEqualTo(2);
    assertThat(f.nodes(NodeKinds.RADIATOR, SecurityClasses.SEALED, NodeStates.LOST)).isEqualTo(1);
    assertThat(f.nodesInState(NodeStates.DRAINING)).isEqualTo(1);
    assertThat(f.nodesOfKind(NodeKinds.DATACENTER, NodeStates.READY)).isEqualTo(1);
    assertThat(f.pending(Tiers.ON_DEMAND)).isEqualTo(3);
    assertThat(f.jobs(1)).isEqualTo(6);
    assertThat(f.jobs(4)).isEqualTo(10);
  }

  @Test
  void sitesAddUpTheirNodesAndUnnamedSitesAreNamed() {
    FleetFigures f = figures(List.of(), 0);
    assertThat(f.sites()).extracting(FleetFigures.Site::name).containsExactly("(none)", "bldg-1", "dc", "plant-1");
    FleetFigures.Site bldg = f.sites().get(1);
    assertThat(bldg.nodes()).isEqualTo(2);
    assertThat(bldg.heatWantedWatts()).isEqualTo(700);
    assertThat(bldg.heatDeliveredWatts()).isEqualTo(400);
    assertThat(bldg.reservedCores()).isEqualTo(2);
    assertThat(f.sites().get(0).lost()).isEqualTo(1);
  }

  @Test
  void donatedCoreHoursAddEndedAndRunningDonatedAttempts() {
    // 2 cores for the last 30 min (running, DONATED) + 1 core-hour ended; the FLEX attempt does not count.
    FleetFigures f = figures(List.of(new FleetSnapshot.Attempt("job-a", "rad-1", Tiers.DONATED, 2, 1_800_000),
        new FleetSnapshot.Attempt("job-b", "rad-1", Tiers.FLEX, 4, 0)), 3_600_000);
    assertThat(f.donatedCoreHours()).isCloseTo(2.0, within(1e-9));
    assertThat(f.running(Tiers.DONATED)).isEqualTo(1);
    assertThat(f.runningCores(Tiers.FLEX)).isEqualTo(4);
  }

  @Test
  void theSeasonFollowsRadiatorDemand() {
    assertThat(figures(List.of(), 0).season()).isEqualTo("winter"); // (600 + 100) / (2 x 600)
    FleetFigures summer = FleetFigures.of(new FleetSnapshot(0, List.of(
        node("rad-1", NodeKinds.RADIATOR, NodeStates.READY, 0, 10, 0, "b")), List.of(), new int[4], 0), new long[8], 1);
    assertThat(summer.season()).isEqualTo("summer");
    assertThat(FleetFigures.EMPTY.season()).isEqualTo("unknown");
  }
}
