package io.hearth.scheduler.api;

import com.google.protobuf.Timestamp;
import io.grpc.stub.StreamObserver;
import io.hearth.api.v1.Attempt;
import io.hearth.api.v1.ClaimOfferRequest;
import io.hearth.api.v1.DonationReport;
import io.hearth.api.v1.DonationServiceGrpc;
import io.hearth.api.v1.GetDonationReportRequest;
import io.hearth.api.v1.Grant;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.ListGrantsRequest;
import io.hearth.api.v1.ListGrantsResponse;
import io.hearth.api.v1.ListOffersRequest;
import io.hearth.api.v1.ListOffersResponse;
import io.hearth.scheduler.audit.AuditLog;
import io.hearth.scheduler.cluster.JobStore;
import io.hearth.scheduler.donation.DonationLedger;
import io.hearth.scheduler.job.JobLifecycle;
import io.hearth.scheduler.scheduling.Placer;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code hearth.v1.DonationService}: offers of idle winter heat capacity, claims and grants for
 * approved nonprofits, and their reports. Nonprofits see and claim for themselves; operators read
 * everything; tenants and nodes are refused. Runs on gRPC's executor (blocking Hazelcast calls).
 */
public final class DonationServiceImpl extends DonationServiceGrpc.DonationServiceImplBase {

  private final DonationLedger ledger;
  private final io.hearth.scheduler.scheduling.ClusterPlacement placer;
  private final JobStore jobs;
  private final Clock clock;
  private final AuditLog audit;
  private final double displacedGramsPerKwh;

  public DonationServiceImpl(DonationLedger ledger, io.hearth.scheduler.scheduling.ClusterPlacement placer, JobStore jobs, Clock clock, AuditLog audit,
      double displacedGramsPerKwh) {
    this.ledger = ledger;
    this.placer = placer;
    this.jobs = jobs;
    this.clock = clock;
    this.audit = audit;
    this.displacedGramsPerKwh = displacedGramsPerKwh;
  }

  @Override
  public void listOffers(ListOffersRequest request, StreamObserver<ListOffersResponse> out) {
    StatusMapper.respond(out, () -> {
      reader();
      return ListOffersResponse.newBuilder().addOffers(ledger.currentOffer(clock.instant(), () -> {
        try {
          return placer.donationCapacity().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
          throw HearthException.unavailable("the placer did not answer the capacity forecast, retry");
        }
      })).build();
    });
  }

  @Override
  public void claimOffer(ClaimOfferRequest request, StreamObserver<Grant> out) {
    StatusMapper.respond(out, () -> {
      Identity who = Identity.current();
      if (who.role() != Identity.Role.NONPROFIT) {
        throw HearthException.denied("role " + who.role().word() + " cannot claim donations (expected: nonprofit)");
      }
      JobSpecValidator.checkLength("offer_id", request.getOfferId(), 1, 64);
      Grant g = ledger.claim(who.id(), request.getOfferId(), request.getCoreHours(), clock.instant());
      audit.record(who.toString(), "claim", request.getOfferId(), "core_hours=" + request.getCoreHours()
          + " granted=" + g.getCoreHours());
      return g;
    });
  }

  @Override
  public void listGrants(ListGrantsRequest request, StreamObserver<ListGrantsResponse> out) {
    StatusMapper.respond(out, () -> {
      Identity who = reader();
      List<Grant> grants = ledger.grantsOf(who.role() == Identity.Role.OPERATOR ? null : who.id());
      return ListGrantsResponse.newBuilder().addAllGrants(grants).build();
    });
  }

  @Override
  public void getDonationReport(GetDonationReportRequest request, StreamObserver<DonationReport> out) {
    StatusMapper.respond(out, () -> {
      Identity who = reader();
      String nonprofit = request.getNonprofitId();
      if (who.role() == Identity.Role.NONPROFIT) {
        if (!nonprofit.isEmpty() && !nonprofit.equals(who.id())) {
          throw HearthException.denied("a nonprofit reads its own report only");
        }
        nonprofit = who.id();
      } else if (nonprofit.isEmpty()) {
        throw HearthException.invalid("nonprofit_id: empty (expected: the nonprofit to report on)");
      }
      JobSpecValidator.checkLength("nonprofit_id", nonprofit, 1, Identity.MAX_ID_LENGTH);
      Instant from = request.hasFrom() ? JobLifecycle.instant(request.getFrom()) : Instant.EPOCH;
      Instant to = request.hasTo() ? JobLifecycle.instant(request.getTo()) : clock.instant();
      if (to.isBefore(from)) {
        throw HearthException.invalid("to: before from (expected: a period that ends after it starts)");
      }
      double coreHours = 0;
      double usefulWh = 0;
      double energyWh = 0;
      int count = 0;
      for (Job j : jobs.list(nonprofit, List.of(), 0, null, Integer.MAX_VALUE)) {
        boolean counted = false;
        for (Attempt a : j.getAttemptsList()) {
          if (!a.hasEndedAt()) {
            continue;
          }
          Instant ended = JobLifecycle.instant(a.getEndedAt());
          if (ended.isBefore(from) || !ended.isBefore(to)) {
            continue;
          }
          Timestamp began = a.hasStartedAt() ? a.getStartedAt() : a.getAssignedAt();
          coreHours += j.getSpec().getCores()
              * Math.max(0, java.time.Duration.between(JobLifecycle.instant(began), ended).toNanos() / 3.6e12);
          usefulWh += a.getUsefulHeatWh();
          energyWh += a.getEnergyWh();
          counted = true;
        }
        if (counted) {
          count++;
        }
      }
      return DonationReport.newBuilder()
          .setNonprofitId(nonprofit)
          .setFrom(JobLifecycle.timestamp(from))
          .setTo(JobLifecycle.timestamp(to))
          .setCoreHoursReceived(coreHours)
          .setHeatDeliveredKwh(usefulWh / 1000)
          .setEnergyKwh(energyWh / 1000)
          .setCo2AvoidedKg(usefulWh / 1000 * displacedGramsPerKwh / 1000)
          .setJobs(count)
          .setAssumptions(String.format(java.util.Locale.ROOT,
              "CO2 avoided = heat delivered x %.0f gCO2 per kWh of heat displaced", displacedGramsPerKwh))
          .build();
    });
  }

  private static Identity reader() {
    Identity who = Identity.current();
    if (who.role() != Identity.Role.NONPROFIT && who.role() != Identity.Role.OPERATOR) {
      throw HearthException.denied("role " + who.role().word() + " cannot use donations (expected: nonprofit or operator)");
    }
    return who;
  }

}
