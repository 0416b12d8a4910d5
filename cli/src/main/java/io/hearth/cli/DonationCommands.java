package io.hearth.cli;

import com.google.protobuf.Timestamp;
import io.hearth.api.v1.DonationReport;
import io.hearth.api.v1.GetDonationReportRequest;
import io.hearth.api.v1.Grant;
import io.hearth.api.v1.ListGrantsResponse;
import io.hearth.api.v1.ListOffersResponse;
import io.hearth.api.v1.Offer;
import io.hearth.client.HearthClient;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Nonprofits' commands of the DonationService: offers, claim, grants, report. */
final class DonationCommands {

  private static final List<String> ROLES = List.of("nonprofit", "operator");

  private DonationCommands() {}

  @Command(name = "offers", description = "Donation offers (nonprofits): idle winter heat capacity of the current window, in core-hours.")
  static final class Offers extends ClientCommand {

    @Override
    public Integer call() {
      try (HearthClient client = connection.client(hearth, ROLES)) {
        List<Offer> offers = client.offers();
        if (output.json()) {
          Output.json(hearth.out, ListOffersResponse.newBuilder().addAllOffers(offers));
          return ExitCodes.OK;
        }
        for (Offer o : offers) {
          hearth.out.printf("%s  %s .. %s  offered %.1f core-hours, claimed %.1f, granted %.1f%n  %s%n", o.getOfferId(),
              Output.time(o.getWindowStart()), Output.time(o.getWindowEnd()), o.getCoreHours(), o.getClaimedCoreHours(),
              o.getGrantedCoreHours(), o.getBasis());
        }
        return ExitCodes.OK;
      }
    }
  }

  @Command(name = "claim", description = "Claim core-hours of an offer (nonprofits); prints the grant to name in DONATED jobs.")
  static final class Claim extends ClientCommand {
    @Parameters(index = "0", paramLabel = "OFFER_ID")
    String offerId;
    @Parameters(index = "1", paramLabel = "CORE_HOURS", description = "More than 0, at most the offer's core-hours.")
    double coreHours;

    @Override
    public Integer call() {
      if (!(coreHours > 0)) {
        throw new IllegalArgumentException("CORE_HOURS: " + coreHours + " (expected: more than 0)");
      }
      try (HearthClient client = connection.client(hearth, List.of("nonprofit"))) {
        print(hearth, output, List.of(client.claim(offerId, coreHours)));
        return ExitCodes.OK;
      }
    }
  }

  @Command(name = "grants", description = "Your grants (nonprofits; operators see everyone's), newest first.")
  static final class Grants extends ClientCommand {

    @Override
    public Integer call() {
      try (HearthClient client = connection.client(hearth, ROLES)) {
        print(hearth, output, client.grants());
        return ExitCodes.OK;
      }
    }
  }

  static void print(Hearth hearth, Output output, List<Grant> grants) {
    if (output.json()) {
      Output.json(hearth.out, ListGrantsResponse.newBuilder().addAllGrants(grants));
      return;
    }
    for (Grant g : grants) {
      hearth.out.printf("grant %s of %s for %s: %.1f core-hours granted (%.1f claimed), %.2f used, expires %s%n",
          g.getGrantId(), g.getOfferId(), g.getNonprofitId(), g.getCoreHours(), g.getRequestedCoreHours(),
          g.getUsedCoreHours(), Output.time(g.getExpiresAt()));
    }
  }

  @Command(name = "report", description = "Donation report (nonprofits): core-hours received, heat delivered, CO2 avoided.")
  static final class Report extends ClientCommand {
    @Option(names = "--nonprofit", paramLabel = "ID", description = "Nonprofit to report on (operators must name one).")
    String nonprofit;
    @Option(names = "--from", paramLabel = "INSTANT", description = "Start, e.g. 2026-01-01T00:00:00Z (default: the beginning).")
    String from;
    @Option(names = "--to", paramLabel = "INSTANT", description = "End, exclusive (default: now).")
    String to;

    @Override
    public Integer call() {
      GetDonationReportRequest.Builder request = GetDonationReportRequest.newBuilder();
      if (nonprofit != null) {
        request.setNonprofitId(nonprofit);
      }
      if (from != null) {
        request.setFrom(instant("--from", from));
      }
      if (to != null) {
        request.setTo(instant("--to", to));
      }
      try (HearthClient client = connection.client(hearth, ROLES)) {
        DonationReport r = client.report(request.build());
        if (output.json()) {
          Output.json(hearth.out, r);
          return ExitCodes.OK;
        }
        hearth.out.printf("%s: %d jobs, %.2f core-hours received, %.3f kWh heat delivered of %.3f kWh drawn, %.3f kg CO2 avoided%n  %s%n",
            r.getNonprofitId(), r.getJobs(), r.getCoreHoursReceived(), r.getHeatDeliveredKwh(), r.getEnergyKwh(),
            r.getCo2AvoidedKg(), r.getAssumptions());
        return ExitCodes.OK;
      }
    }

    private static Timestamp instant(String flag, String value) {
      try {
        Instant i = Instant.parse(value);
        return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(flag + ": '" + value + "' (expected: an instant like 2026-01-01T00:00:00Z)");
      }
    }
  }
}
