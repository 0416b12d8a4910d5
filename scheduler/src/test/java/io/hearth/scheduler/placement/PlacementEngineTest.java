package io.hearth.scheduler.placement;

import static io.hearth.scheduler.placement.NodeKinds.BOILER;
import static io.hearth.scheduler.placement.NodeKinds.DATACENTER;
import static io.hearth.scheduler.placement.NodeKinds.RADIATOR;
import static io.hearth.scheduler.placement.SecurityClasses.CERTIFIED;
import static io.hearth.scheduler.placement.SecurityClasses.CONTROLLED;
import static io.hearth.scheduler.placement.SecurityClasses.OPEN;
import static io.hearth.scheduler.placement.SecurityClasses.SEALED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Table-driven tests over one fixed fleet:
 *
 * <pre>
 * slot node           kind        class       cores  W/core  region  demand  draw  headroom
 * 0    rad-open       RADIATOR    OPEN        4      150     paris   1200    100   1100
 * 1    rad-sealed-a   RADIATOR    SEALED      4      150     paris    500    100    400
 * 2    rad-sealed-b   RADIATOR    SEALED      4      150     paris   1000    100    900
 * 3    boiler-ctl     BOILER      CONTROLLED  4      120     lyon     700      0    700
 * 4    dc-certified   DATACENTER  CERTIFIED   64      10     paris      0      0      0
 * 5    dc-open        DATACENTER  OPEN        32      10     lyon       0      0      0
 * </pre>
 */
class PlacementEngineTest {
    static final int RAD_OPEN = 0;
    static final int RAD_SEALED_A = 1;
    static final int RAD_SEALED_B = 2;
    static final int BOILER_CTL = 3;
    static final int DC_CERTIFIED = 4;
    static final int DC_OPEN = 5;

    PlacementEngine engine;
    int bank;
    int insurer;

    @BeforeEach
    void fleet() {
        engine = fleet(PlacementOptions.defaults());
        bank = engine.tenantId("bank");
        insurer = engine.tenantId("insurer");
    }

    static PlacementEngine fleet(PlacementOptions options) {
        PlacementEngine engine = new PlacementEngine(options);
        engine.upsertNode(new NodeSpec("rad-open", RADIATOR, OPEN, 4, 8192, 150, "paris", "flat-1"));
        engine.upsertNode(new NodeSpec("rad-sealed-a", RADIATOR, SEALED, 4, 8192, 150, "paris", "flat-2"));
        engine.upsertNode(new NodeSpec("rad-sealed-b", RADIATOR, SEALED, 4, 8192, 150, "paris", "flat-3"));
        engine.upsertNode(new NodeSpec("boiler-ctl", BOILER, CONTROLLED, 4, 8192, 120, "lyon", "office-1"));
        engine.upsertNode(new NodeSpec("dc-certified", DATACENTER, CERTIFIED, 64, 262_144, 10, "paris", "dc-1"));
        engine.upsertNode(new NodeSpec("dc-open", DATACENTER, OPEN, 32, 131_072, 10, "lyon", "dc-2"));
        engine.updateTelemetry(RAD_OPEN, 1200, 100);
        engine.updateTelemetry(RAD_SEALED_A, 500, 100);
        engine.updateTelemetry(RAD_SEALED_B, 1000, 100);
        engine.updateTelemetry(BOILER_CTL, 700, 0);
        return engine;
    }

    static JobRequest job(int cores, int minClass) {
        return new JobRequest().cores(cores).memoryMib(1024).minSecurityClass(minClass).tier(Tiers.ON_DEMAND);
    }

    /** Asserts that the index and the full pipeline agree, then returns the decision. */
    int place(JobRequest job) {
        int slot = engine.place(job);
        assertThat(engine.placeByFullScan(job)).as("full scan of %s", job).isEqualTo(slot);
        return slot;
    }

    @Test
    void assignsSlotsInOrderAndKeepsThemOnReUpsert() {
        assertThat(engine.nodeCount()).isEqualTo(6);
        assertThat(engine.slotOf("boiler-ctl")).isEqualTo(BOILER_CTL);
        assertThat(engine.slotOf("nowhere")).isEqualTo(-1);
        assertThat(engine.nodeId(DC_OPEN)).isEqualTo("dc-open");
        int again = engine.upsertNode(new NodeSpec("boiler-ctl", BOILER, CONTROLLED, 8, 8192, 120, "lyon", "office-1"));
        assertThat(again).isEqualTo(BOILER_CTL);
        assertThat(engine.nodeCount()).isEqualTo(6);
        assertThat(engine.freeCores(BOILER_CTL)).isEqualTo(8);
    }

    @Test
    void rejectsNodeBelowRequiredSecurityClass() {
        assertThat(place(job(1, OPEN))).isEqualTo(RAD_OPEN);
        assertThat(place(job(1, SEALED))).isEqualTo(RAD_SEALED_B);
        assertThat(engine.explain(job(1, SEALED)).rejectedBy("security-class")).isEqualTo(2);
    }

    static Stream<Arguments> bestNodeByClass() {
        return Stream.of(
                Arguments.of(OPEN, 4, RAD_OPEN),
                Arguments.of(SEALED, 4, RAD_SEALED_B),
                Arguments.of(CONTROLLED, 4, BOILER_CTL),
                Arguments.of(CERTIFIED, 4, DC_CERTIFIED),
                Arguments.of(OPEN, 8, DC_CERTIFIED),
                Arguments.of(SEALED, 7, DC_CERTIFIED),
                Arguments.of(OPEN, 33, DC_CERTIFIED),
                Arguments.of(OPEN, 65, -1));
    }

    @ParameterizedTest(name = "class {0}, {1} cores -> slot {2}")
    @MethodSource("bestNodeByClass")
    void prefersLargestHeadroom(int minClass, int cores, int expected) {
        assertThat(place(job(cores, minClass))).isEqualTo(expected);
    }

    @Test
    void prefersLargestHeadroomAndBreaksTiesByLowestSlot() {
        engine.updateTelemetry(RAD_SEALED_A, 1000, 100);
        assertThat(engine.headroomWatts(RAD_SEALED_A)).isEqualTo(engine.headroomWatts(RAD_SEALED_B));
        assertThat(place(job(1, SEALED))).isEqualTo(RAD_SEALED_A);
        engine.updateTelemetry(RAD_SEALED_B, 1000, 99);
        assertThat(place(job(1, SEALED))).isEqualTo(RAD_SEALED_B);
    }

    @Test
    void fillsARoomAlreadyWarmingBeforeOpeningAnother() {
        assertThat(engine.reserve(RAD_SEALED_A, 1, job(1, SEALED))).isTrue();
        assertThat(engine.headroomWatts(RAD_SEALED_A)).isEqualTo(350.0);
        assertThat(place(job(2, SEALED))).as("350 W left in a warming room beat 900 W in a cold one")
                .isEqualTo(RAD_SEALED_A);
        assertThat(place(job(3, SEALED))).as("450 W do not fit the warming room").isEqualTo(RAD_SEALED_B);
    }

    @Test
    void ranksWarmingRoomsByHeadroomAndKeepsOutOfWarmOnes() {
        assertThat(engine.reserve(RAD_SEALED_A, 1, job(1, SEALED))).isTrue();
        assertThat(engine.reserve(RAD_SEALED_B, 2, job(1, SEALED))).isTrue();
        assertThat(place(job(1, SEALED))).as("both warming: 750 W beat 350 W").isEqualTo(RAD_SEALED_B);
        engine.updateTelemetry(RAD_SEALED_A, 100, 150);
        engine.updateTelemetry(RAD_SEALED_B, 100, 150);
        assertThat(place(job(1, SEALED))).as("both warm: the cold tank").isEqualTo(BOILER_CTL);
    }

    @Test
    void fallsBackToDatacenterWhenNoHeaterHasHeadroom() {
        for (int slot : new int[] {RAD_OPEN, RAD_SEALED_A, RAD_SEALED_B, BOILER_CTL}) {
            engine.updateTelemetry(slot, 50, 40);
        }
        assertThat(place(job(1, OPEN))).isEqualTo(DC_CERTIFIED);
        engine.reserve(DC_CERTIFIED, 1, job(40, OPEN));
        assertThat(place(job(1, OPEN))).as("most free cores").isEqualTo(DC_OPEN);
    }

    @Test
    void keepsDonatedWorkOffDatacentersUnlessPolicyAllows() {
        JobRequest donated = job(8, OPEN).tier(Tiers.DONATED);
        assertThat(place(donated)).isEqualTo(-1);
        assertThat(engine.explain(donated).summary())
                .isEqualTo("4 nodes without enough free cores or memory, 2 data-center nodes closed to DONATED work");

        engine = fleet(PlacementOptions.defaults().withDonatedOnDatacenter(true));
        assertThat(place(donated)).isEqualTo(DC_CERTIFIED);
    }

    @Test
    void certifiedJobLandsOnCertifiedNode() {
        assertThat(place(job(2, CERTIFIED))).isEqualTo(DC_CERTIFIED);
        engine.setNodeState(DC_CERTIFIED, NodeStates.DRAINING);
        assertThat(place(job(2, CERTIFIED))).isEqualTo(-1);
    }

    @Test
    void warmRoomGetsNothing() {
        engine.updateTelemetry(RAD_OPEN, 400, 400);
        assertThat(place(job(1, OPEN))).isEqualTo(RAD_SEALED_B);
        // 900 W of headroom is not enough for 4 cores x 150 W at fraction 2.0, but it is at 1.0.
        engine = fleet(PlacementOptions.defaults().withMinHeatFraction(2.0));
        assertThat(place(job(4, SEALED))).isEqualTo(DC_CERTIFIED);
        assertThat(place(job(3, SEALED))).isEqualTo(RAD_SEALED_B);
    }

    @Test
    void reserveLowersHeadroomBeforeTheNextTelemetry() {
        assertThat(engine.reserve(RAD_OPEN, 7, job(4, OPEN))).isTrue();
        // 1200 - max(100, 4 x 150)
        assertThat(engine.headroomWatts(RAD_OPEN)).isEqualTo(600.0);
        assertThat(engine.freeCores(RAD_OPEN)).isZero();
        assertThat(engine.freeMemoryMib(RAD_OPEN)).isEqualTo(8192 - 1024);
        assertThat(place(job(1, OPEN))).isEqualTo(RAD_SEALED_B);
    }

    @Test
    void reserveIsIdempotent() {
        JobRequest job = job(2, SEALED);
        assertThat(engine.reserve(RAD_SEALED_B, 42, job)).isTrue();
        assertThat(engine.reserve(RAD_SEALED_B, 42, job)).isTrue();
        assertThat(engine.reserve(RAD_SEALED_A, 42, job)).as("a repeat changes nothing").isTrue();
        assertThat(engine.freeCores(RAD_SEALED_B)).isEqualTo(2);
        assertThat(engine.freeCores(RAD_SEALED_A)).isEqualTo(4);
        assertThat(engine.reservationCount()).isEqualTo(1);
    }

    @Test
    void reserveRefusesWhatNoLongerFits() {
        assertThat(engine.reserve(RAD_SEALED_B, 1, job(4, SEALED))).isTrue();
        assertThat(engine.reserve(RAD_SEALED_B, 2, job(1, SEALED))).as("no free core").isFalse();
        assertThat(engine.reserve(RAD_OPEN, 3, job(1, SEALED))).as("below class").isFalse();
        engine.setNodeState(RAD_SEALED_A, NodeStates.LOST);
        assertThat(engine.reserve(RAD_SEALED_A, 4, job(1, SEALED))).as("lost").isFalse();
        assertThat(engine.isReserved(2)).isFalse();
    }

    @Test
    void unreserveReleases() {
        double headroom = engine.headroomWatts(RAD_OPEN);
        engine.reserve(RAD_OPEN, 9, job(4, OPEN));
        assertThat(engine.unreserve(9)).isTrue();
        assertThat(engine.unreserve(9)).as("idempotent").isFalse();
        assertThat(engine.unreserve(10)).isFalse();
        assertThat(engine.freeCores(RAD_OPEN)).isEqualTo(4);
        assertThat(engine.freeMemoryMib(RAD_OPEN)).isEqualTo(8192);
        assertThat(engine.headroomWatts(RAD_OPEN)).isEqualTo(headroom);
        assertThat(place(job(4, OPEN))).isEqualTo(RAD_OPEN);
    }

    @Test
    void keepsExclusiveJobsAwayFromOtherTenants() {
        JobRequest exclusive = job(1, OPEN).tenant(bank).exclusive(true);
        assertThat(engine.reserve(RAD_OPEN, 1, exclusive)).isTrue();
        assertThat(place(job(1, OPEN).tenant(insurer))).as("held by the bank").isEqualTo(RAD_SEALED_B);
        assertThat(place(job(1, OPEN).tenant(bank))).as("the bank's own work may join").isEqualTo(RAD_OPEN);

        assertThat(engine.reserve(RAD_SEALED_B, 2, job(1, OPEN).tenant(insurer))).isTrue();
        assertThat(place(exclusive)).as("shared with the insurer").isEqualTo(RAD_OPEN);
        assertThat(engine.explain(job(1, OPEN).tenant(insurer).exclusive(true)).rejectedBy("exclusivity"))
                .isEqualTo(1);

        engine.unreserve(1);
        assertThat(place(job(4, OPEN).tenant(insurer))).as("free again; the insurer's warming room lacks cores")
                .isEqualTo(RAD_OPEN);
    }

    @Test
    void keepsReservationsWhenANodeDrains() {
        engine.reserve(RAD_OPEN, 1, job(2, OPEN));
        engine.setNodeState(RAD_OPEN, NodeStates.DRAINING);
        assertThat(engine.freeCores(RAD_OPEN)).isEqualTo(2);
        assertThat(place(job(1, OPEN))).isEqualTo(RAD_SEALED_B);
        engine.setNodeState(RAD_OPEN, NodeStates.READY);
        assertThat(place(job(1, OPEN))).isEqualTo(RAD_OPEN);
    }

    @Test
    void honoursRegionMasks() {
        long lyon = engine.regionMask(List.of("lyon"));
        assertThat(engine.regionMask(List.of())).isZero();
        assertThat(place(job(1, OPEN).regionMask(lyon))).isEqualTo(BOILER_CTL);
        assertThat(place(job(8, OPEN).regionMask(lyon))).isEqualTo(DC_OPEN);
        long berlin = engine.regionMask(List.of("berlin"));
        assertThat(place(job(1, OPEN).regionMask(berlin))).isEqualTo(-1);
        assertThat(engine.explain(job(1, OPEN).regionMask(berlin)).summary())
                .isEqualTo("6 nodes outside the allowed regions");
    }

    @Test
    void movesANodeBetweenGroupsOnReUpsert() {
        engine.upsertNode(new NodeSpec("rad-open", RADIATOR, CERTIFIED, 4, 8192, 150, "paris", "flat-1"));
        assertThat(place(job(1, CERTIFIED))).isEqualTo(RAD_OPEN);
        engine.upsertNode(new NodeSpec("rad-open", DATACENTER, OPEN, 4, 8192, 150, "paris", "flat-1"));
        assertThat(place(job(1, OPEN))).isEqualTo(RAD_SEALED_B);
        assertThat(place(job(1, CERTIFIED))).isEqualTo(DC_CERTIFIED);
    }

    @Test
    void explainCountsEachNodeOnceByFirstFilter() {
        engine.setNodeState(RAD_SEALED_A, NodeStates.LOST);
        engine.updateTelemetry(BOILER_CTL, 100, 0);
        Refusal refusal = engine.explain(job(4, SEALED).tier(Tiers.DONATED));
        // rad-sealed-a is lost and below nothing; rad-open is below SEALED; dc-open is below SEALED
        // (not a closed data center, since security-class comes first); boiler lacks headroom.
        assertThat(refusal.rejections()).containsExactly(
                new Rejection("node-state", 1),
                new Rejection("security-class", 2),
                new Rejection("tier-rules", 1),
                new Rejection("heat-headroom", 1));
        assertThat(refusal.rejections().stream().mapToInt(Rejection::nodes).sum()).isEqualTo(5);
        assertThat(refusal.summary()).isEqualTo("fits on 1 node; 2 nodes below SEALED, 1 not ready,"
                + " 1 data-center nodes closed to DONATED work, 1 without heat headroom");
    }

    @Test
    void summarisesTheMostNumerousReasonFirstWithGroupedThousands() {
        PlacementEngine big = new PlacementEngine(PlacementOptions.defaults().withInitialCapacity(16));
        for (int i = 0; i < 10_000; i++) {
            int securityClass = i < 9_412 ? OPEN : SEALED;
            int slot = big.upsertNode(new NodeSpec("n" + i, RADIATOR, securityClass, 4, 8192, 150, "paris", "s"));
            big.updateTelemetry(slot, securityClass == OPEN ? 2000 : 100, 50);
        }
        Refusal refusal = big.explain(job(2, SEALED));
        assertThat(refusal.summary()).isEqualTo("9,412 nodes below SEALED, 588 without heat headroom");
        assertThat(big.place(job(2, SEALED))).isEqualTo(-1);
        assertThat(big.place(job(2, OPEN))).isZero();
    }

    @Test
    void saysSoWhenNoNodesAreRegistered() {
        Refusal refusal = new PlacementEngine().explain(job(1, OPEN));
        assertThat(refusal.rejections()).isEmpty();
        assertThat(refusal.summary()).isEqualTo("no nodes registered");
        assertThat(new PlacementEngine().place(job(1, OPEN))).isEqualTo(-1);
    }

    @Test
    void internsTenantsAndRegions() {
        assertThat(engine.tenantId("bank")).isEqualTo(bank);
        assertThat(bank).isPositive();
        assertThat(engine.tenantName(bank)).isEqualTo("bank");
        long both = engine.regionMask(List.of("paris", "lyon"));
        assertThat(Long.bitCount(both)).isEqualTo(2);
        assertThat(engine.regionMask(List.of("lyon", "paris"))).isEqualTo(both);
    }

    @Test
    void refusesThe65thRegion() {
        for (int i = 0; i < 62; i++) {
            engine.regionMask(List.of("r" + i));
        }
        assertThatThrownBy(() -> engine.regionMask(List.of("r62", "r63")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("regions: 66 (expected: 0..64 distinct regions)");
        assertThatThrownBy(() -> engine.upsertNode(new NodeSpec("x", RADIATOR, OPEN, 1, 1, 1, "r62", "s")))
                .hasMessage("regions: 65 (expected: 0..64 distinct regions)");
    }

    static Stream<Arguments> badArguments() {
        return Stream.of(
                bad("cores: 0 (expected: 1..1024)", e -> e.place(job(0, OPEN))),
                bad("cores: 1025 (expected: 1..1024)", e -> e.place(job(1025, OPEN))),
                bad("memoryMib: -1 (expected: 0..1073741824)", e -> e.place(job(1, OPEN).memoryMib(-1))),
                bad("minSecurityClass: 0 (expected: 1..4)", e -> e.place(job(1, 0))),
                bad("tier: 5 (expected: 1..4)", e -> e.explain(job(1, OPEN).tier(5))),
                bad("tenant: -3 (expected: 0..2147483647)", e -> e.reserve(0, 1, job(1, OPEN).tenant(-3))),
                bad("slot: 6 (expected: 0..5)", e -> e.reserve(6, 1, job(1, OPEN))),
                bad("slot: -1 (expected: 0..5)", e -> e.updateTelemetry(-1, 1, 1)),
                bad("heatDemandWatts: NaN (expected: >= 0 and finite)", e -> e.updateTelemetry(0, Double.NaN, 1)),
                bad("computeDrawWatts: -1.0 (expected: >= 0 and finite)", e -> e.updateTelemetry(0, 1, -1)),
                bad("state: 4 (expected: 1..3)", e -> e.setNodeState(0, 4)),
                bad("tenant: \"\" (expected: non-blank)", e -> e.tenantId("")),
                bad("job: null (expected: non-null)", e -> e.place(null)),
                bad("cores: 0 (expected: 1..1024)",
                        e -> new NodeSpec("n", RADIATOR, OPEN, 0, 1, 1, "r", "s")),
                bad("kind: 0 (expected: 1..3)", e -> new NodeSpec("n", 0, OPEN, 1, 1, 1, "r", "s")),
                bad("securityClass: 5 (expected: 1..4)", e -> new NodeSpec("n", BOILER, 5, 1, 1, 1, "r", "s")),
                bad("wattsPerCore: 0.0 (expected: > 0 and finite)",
                        e -> new NodeSpec("n", BOILER, OPEN, 1, 1, 0, "r", "s")),
                bad("nodeId: \" \" (expected: non-blank)", e -> new NodeSpec(" ", BOILER, OPEN, 1, 1, 1, "r", "s")),
                bad("region: null (expected: non-null)", e -> new NodeSpec("n", BOILER, OPEN, 1, 1, 1, null, "s")),
                bad("minHeatFraction: -0.5 (expected: >= 0 and finite)",
                        e -> PlacementOptions.defaults().withMinHeatFraction(-0.5)),
                bad("initialCapacity: 0 (expected: 1..16777216)",
                        e -> PlacementOptions.defaults().withInitialCapacity(0)));
    }

    static Arguments bad(String message, Consumer<PlacementEngine> call) {
        return Arguments.of(message, call);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badArguments")
    void checksArgumentsWithOneMessageShape(String message, Consumer<PlacementEngine> call) {
        assertThatThrownBy(() -> call.accept(engine))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void rejectedArgumentsChangeNothing() {
        assertThatThrownBy(() -> engine.reserve(RAD_OPEN, 1, job(0, OPEN)));
        assertThat(engine.isReserved(1)).isFalse();
        assertThat(engine.freeCores(RAD_OPEN)).isEqualTo(4);
    }
}
