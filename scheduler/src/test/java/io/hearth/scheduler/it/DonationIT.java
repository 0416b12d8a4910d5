package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.hearth.api.v1.AdminServiceGrpc;
import io.hearth.api.v1.ApproveNonprofitRequest;
import io.hearth.api.v1.ClaimOfferRequest;
import io.hearth.api.v1.DonationReport;
import io.hearth.api.v1.DonationServiceGrpc;
import io.hearth.api.v1.GetDonationReportRequest;
import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.Grant;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.ListGrantsRequest;
import io.hearth.api.v1.ListOffersRequest;
import io.hearth.api.v1.NodeKind;
import io.hearth.api.v1.Offer;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.api.v1.Tier;
import io.hearth.worker.agent.NodeAgent;
import io.hearth.worker.thermal.OutdoorTemperature;
import io.hearth.worker.thermal.SimulatedTank;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Donated winter compute: offers from the heat the rooms want and nobody pays for, weighted fair
 * grants, grants that expire, reports; and in summer, nothing to donate while paid work runs on
 * data-center nodes and boilers.
 */
class DonationIT {

  @TempDir Path work;

  private static DonationServiceGrpc.DonationServiceBlockingStub donations(TestScheduler hearth, String identity) {
    return DonationServiceGrpc.newBlockingStub(hearth.channel(identity)).withInterceptors(TestScheduler.PER_CALL_DEADLINE);
  }

  private static void approve(TestScheduler hearth, String id, int weight) {
    AdminServiceGrpc.newBlockingStub(hearth.channel("operator/ops")).withInterceptors(TestScheduler.PER_CALL_DEADLINE)
        .approveNonprofit(ApproveNonprofitRequest.newBuilder().setNonprofitId(id).setWeight(weight).build());
  }

  private static void assertStatus(Runnable call, Status.Code code, String text) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(code);
      assertThat(e.getStatus().getDescription()).contains(text);
    });
  }

  @Test
  void winterOffersAreSharedTwoToOneNeverOverGrantedAndRunOnRadiators() {
    try (TestScheduler hearth = TestScheduler.start(TestScheduler.options().build());
        NodeAgent r1 = Agents.radiator(hearth, "rad-w1", work, 5, 45, SecurityClass.SECURITY_CLASS_SEALED);
        NodeAgent r2 = Agents.radiator(hearth, "rad-w2", work, 5, 45, SecurityClass.SECURITY_CLASS_SEALED);
        NodeAgent dc = Agents.datacenter(hearth, "dc-w", work, 8, "fr-paris")) {
      await().atMost(Duration.ofSeconds(20)).until(() -> hearth.scheduler.placer().view().readyNodes() == 3);
      approve(hearth, "big-charity", 2);
      approve(hearth, "small-charity", 1);
      Offer offer = donations(hearth, "nonprofit/big-charity").listOffers(ListOffersRequest.getDefaultInstance()).getOffers(0);
      // Two rooms wanting ~675 W: four 150 W cores each, over a 4 h window; the data center adds nothing.
      assertThat(offer.getCoreHours()).isEqualTo(32);
      assertThat(offer.getBasis()).contains("2 ready heater nodes (radiator)");

      // Bad claims change nothing.
      assertStatus(() -> donations(hearth, "nonprofit/big-charity").claimOffer(ClaimOfferRequest.newBuilder()
          .setOfferId(offer.getOfferId()).setCoreHours(-3).build()), Status.Code.INVALID_ARGUMENT, "core_hours: -3.0");
      assertStatus(() -> donations(hearth, "nonprofit/big-charity").claimOffer(ClaimOfferRequest.newBuilder()
          .setOfferId(offer.getOfferId()).setCoreHours(33).build()), Status.Code.INVALID_ARGUMENT, "at most 32.0");
      assertStatus(() -> donations(hearth, "nonprofit/unknown-club").claimOffer(ClaimOfferRequest.newBuilder()
          .setOfferId(offer.getOfferId()).setCoreHours(5).build()), Status.Code.PERMISSION_DENIED, "not approved");
      assertStatus(() -> donations(hearth, "tenant/bank").claimOffer(ClaimOfferRequest.newBuilder()
          .setOfferId(offer.getOfferId()).setCoreHours(5).build()), Status.Code.PERMISSION_DENIED, "expected: nonprofit");
      assertThat(donations(hearth, "operator/ops").listGrants(ListGrantsRequest.getDefaultInstance()).getGrantsList()).isEmpty();

      // Both claim more than the whole offer: 2:1 of it, within one grant unit, never above it.
      donations(hearth, "nonprofit/big-charity").claimOffer(ClaimOfferRequest.newBuilder()
          .setOfferId(offer.getOfferId()).setCoreHours(32).build());
      donations(hearth, "nonprofit/small-charity").claimOffer(ClaimOfferRequest.newBuilder()
          .setOfferId(offer.getOfferId()).setCoreHours(32).build());
      List<Grant> grants = donations(hearth, "operator/ops").listGrants(ListGrantsRequest.getDefaultInstance()).getGrantsList();
      double big = grants.stream().filter(g -> g.getNonprofitId().equals("big-charity")).findFirst().orElseThrow().getCoreHours();
      double small = grants.stream().filter(g -> g.getNonprofitId().equals("small-charity")).findFirst().orElseThrow().getCoreHours();
      assertThat(big + small).isLessThanOrEqualTo(32);
      assertThat(Math.abs(big - 2 * small)).isLessThanOrEqualTo(2);
      assertThat(big).isBetween(20.0, 22.0);
      assertThat(donations(hearth, "nonprofit/small-charity").listGrants(ListGrantsRequest.getDefaultInstance()).getGrantsList())
          .extracting(Grant::getNonprofitId).containsOnly("small-charity");

      // Without a grant, or with another nonprofit's, a donated job is refused.
      JobServiceGrpc.JobServiceBlockingStub charity = hearth.jobs("nonprofit/big-charity");
      assertStatus(() -> charity.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec("no-grant", "true")
          .setTier(Tier.TIER_DONATED)).build()), Status.Code.INVALID_ARGUMENT, "spec.grant_id: empty");
      String smallGrant = grants.stream().filter(g -> g.getNonprofitId().equals("small-charity")).findFirst().orElseThrow()
          .getGrantId();
      assertStatus(() -> charity.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec("stolen", "true")
          .setTier(Tier.TIER_DONATED).setGrantId(smallGrant)).build()), Status.Code.FAILED_PRECONDITION, "not found for nonprofit big-charity");

      // With its grant, donated work runs on the radiators, never on the data center.
      String bigGrant = grants.stream().filter(g -> g.getNonprofitId().equals("big-charity")).findFirst().orElseThrow().getGrantId();
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        ids.add(charity.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec("render-" + i, "sleep", "2")
            .setTier(Tier.TIER_DONATED).setGrantId(bigGrant)).build()).getJob().getJobId());
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> ids.stream().allMatch(id ->
          charity.getJob(GetJobRequest.newBuilder().setJobId(id).build()).getState() == JobState.JOB_STATE_SUCCEEDED));
      for (String id : ids) {
        Job j = charity.getJob(GetJobRequest.newBuilder().setJobId(id).build());
        assertThat(j.getAttempts(0).getNodeId()).startsWith("rad-");
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> donations(hearth, "nonprofit/big-charity")
          .listGrants(ListGrantsRequest.getDefaultInstance()).getGrants(0).getUsedCoreHours() > 0);
      await().atMost(Duration.ofSeconds(10)).until(() -> ids.stream().allMatch(id ->
          charity.getJob(GetJobRequest.newBuilder().setJobId(id).build()).getEnergy().getUsefulHeatWh() > 0));
      DonationReport report = donations(hearth, "nonprofit/big-charity").getDonationReport(GetDonationReportRequest.getDefaultInstance());
      assertThat(report.getJobs()).isEqualTo(6);
      assertThat(report.getCoreHoursReceived()).isBetween(6 * 1.5 / 3600, 6 * 4.0 / 3600);
      assertThat(report.getHeatDeliveredKwh()).isPositive();
      assertThat(report.getCo2AvoidedKg()).isCloseTo(report.getHeatDeliveredKwh() * 0.252, org.assertj.core.api.Assertions.within(1e-9));
      assertStatus(() -> donations(hearth, "nonprofit/big-charity").getDonationReport(GetDonationReportRequest.newBuilder()
          .setNonprofitId("small-charity").build()), Status.Code.PERMISSION_DENIED, "own report");
    }
  }

  @Test
  void anExpiredGrantIsRefusedWithAClearStatus() {
    // A short window (10 s) and a many-core low-power heater so that the window still holds a core-hour.
    try (TestScheduler hearth = TestScheduler.start(TestScheduler.options().donationWindow(Duration.ofSeconds(10)).build());
        NodeAgent r1 = Agents.base(hearth, "rad-many", work, "SEALED").kind(NodeKind.NODE_KIND_RADIATOR).cores(1000)
            .memoryMib(65536).maxWatts(1000).wattsPerCore(1)
            .thermostat(io.hearth.worker.thermal.SimulatedRoom.builder().ua(45).setpoint(20).initialTemperature(20)
                .maxWatts(1000).outdoor(OutdoorTemperature.constant(5)).build()).build().start()) {
      await().atMost(Duration.ofSeconds(20)).until(() -> hearth.scheduler.placer().view().readyNodes() == 1);
      hearth.grant("quick-charity", 1);
      Grant issued = donations(hearth, "nonprofit/quick-charity").listGrants(ListGrantsRequest.getDefaultInstance()).getGrants(0);
      assertThat(issued.getCoreHours()).isEqualTo(1);
      await().atMost(Duration.ofSeconds(10)).until(() ->
          java.time.Instant.now().isAfter(io.hearth.scheduler.job.JobLifecycle.instant(issued.getExpiresAt())));
      String expired = issued.getGrantId();
      assertStatus(() -> hearth.jobs("nonprofit/quick-charity").submitJob(SubmitJobRequest.newBuilder()
          .setSpec(TestScheduler.spec("too-late", "true").setTier(Tier.TIER_DONATED).setGrantId(expired)).build()),
          Status.Code.FAILED_PRECONDITION, "expired at");
    }
  }

  /**
   * A summer fleet with an idle boiler: by default only space heating is offered, so nothing is; an
   * operator who adds boilers to donation.node-kinds offers the tank's idle headroom all year.
   */
  @Test
  void boilersOfferTheirIdleHeatOnlyWhenTheOperatorSaysSo() {
    for (String kinds : List.of("radiator", "radiator,boiler")) {
      try (TestScheduler hearth = TestScheduler.start(TestScheduler.options().donationNodeKinds(kinds).build());
          NodeAgent room = Agents.radiator(hearth, "rad-k", work.resolve(kinds), 25, 45, SecurityClass.SECURITY_CLASS_SEALED);
          NodeAgent tank = Agents.base(hearth, "boiler-k", work.resolve(kinds), "CONTROLLED").kind(NodeKind.NODE_KIND_BOILER)
              .cores(4).memoryMib(4096).maxWatts(2000).wattsPerCore(150)
              .thermostat(SimulatedTank.builder().maxWatts(2000).outdoor(OutdoorTemperature.constant(25)).build())
              .build().start()) {
        await().atMost(Duration.ofSeconds(20)).until(() -> hearth.scheduler.placer().view().readyNodes() == 2);
        approve(hearth, "tank-charity", 1);
        Offer offer = donations(hearth, "nonprofit/tank-charity").listOffers(ListOffersRequest.getDefaultInstance())
            .getOffers(0);
        if (kinds.equals("radiator")) {
          assertThat(offer.getCoreHours()).as(offer.getBasis()).isZero();
          assertThat(offer.getBasis()).contains("1 ready heater nodes (radiator)");
        } else {
          // The tank wants its standing loss and its draws made good: at least one 150 W core for the 4 h window.
          assertThat(offer.getCoreHours()).as(offer.getBasis()).isGreaterThanOrEqualTo(4);
          assertThat(offer.getBasis()).contains("2 ready heater nodes (radiator,boiler)");
        }
      }
    }
  }

  @Test
  void inSummerNothingIsOfferedNoDonatedJobStartsAndPaidWorkGoesToDataCenterAndBoilers() {
    try (TestScheduler hearth = TestScheduler.start(TestScheduler.options().build());
        NodeAgent r1 = Agents.radiator(hearth, "rad-s1", work, 25, 45, SecurityClass.SECURITY_CLASS_SEALED);
        NodeAgent r2 = Agents.radiator(hearth, "rad-s2", work, 25, 45, SecurityClass.SECURITY_CLASS_SEALED);
        NodeAgent boiler = Agents.base(hearth, "boiler-s", work, "CONTROLLED").kind(NodeKind.NODE_KIND_BOILER).cores(2)
            .memoryMib(4096).maxWatts(400).wattsPerCore(150)
            .thermostat(SimulatedTank.builder().maxWatts(400).outdoor(OutdoorTemperature.constant(25)).build()).build().start();
        NodeAgent dc = Agents.datacenter(hearth, "dc-s", work, 8, "fr-paris")) {
      await().atMost(Duration.ofSeconds(20)).until(() -> hearth.scheduler.placer().view().readyNodes() == 4);
      JobServiceGrpc.JobServiceBlockingStub bank = hearth.jobs("tenant/bank");
      List<String> paid = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        paid.add(bank.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec("summer-" + i, "sleep", "5")
            .setMinSecurityClass(SecurityClass.SECURITY_CLASS_SEALED)).build()).getJob().getJobId());
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> paid.stream().allMatch(id ->
          bank.getJob(GetJobRequest.newBuilder().setJobId(id).build()).getState() == JobState.JOB_STATE_RUNNING));
      List<String> nodes = paid.stream().map(id -> bank.getJob(GetJobRequest.newBuilder().setJobId(id).build())
          .getAttempts(0).getNodeId()).toList();
      assertThat(nodes).doesNotContain("rad-s1", "rad-s2").contains("dc-s");
      assertThat(nodes).as("the boiler wants hot water all year").contains("boiler-s");

      approve(hearth, "summer-charity", 1);
      Offer offer = donations(hearth, "nonprofit/summer-charity").listOffers(ListOffersRequest.getDefaultInstance()).getOffers(0);
      assertThat(offer.getCoreHours()).as(offer.getBasis()).isLessThanOrEqualTo(4);
      if (offer.getCoreHours() >= 1) {
        String grant = hearth.grant("summer-charity", offer.getCoreHours());
        String donated = hearth.jobs("nonprofit/summer-charity").submitJob(SubmitJobRequest.newBuilder().setSpec(
            TestScheduler.spec("summer-render", "true").setTier(Tier.TIER_DONATED).setGrantId(grant)).build()).getJob().getJobId();
        await().atMost(Duration.ofSeconds(10)).until(() -> hearth.jobs("nonprofit/summer-charity")
            .getJob(GetJobRequest.newBuilder().setJobId(donated).build()).hasPending());
        assertThat(hearth.jobs("nonprofit/summer-charity").getJob(GetJobRequest.newBuilder().setJobId(donated).build())
            .getAttemptsList()).as("no radiator wants heat and data centers are closed to donated work").isEmpty();
      }
    }
  }
}
