package io.hearth.benchmarks.season;

import io.hearth.scheduler.donation.DonationSources;
import io.hearth.scheduler.placement.Tiers;
import io.hearth.worker.thermal.RoomGains;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Writes a season's report: {@code README.md} (tables, verdict, assumptions), {@code summary.csv}
 * (every number, per policy and month; byte-identical for a seed) and the PNG charts. Stateless.
 */
final class SeasonReport {
    /** Summer donations below this share of winter's are "near zero" (SeasonSimulatorTest holds radiators to it). */
    static final double NEAR_ZERO = 0.05;

    private static final int[] SUMMER = {5, 6, 7};
    private static final int[] WINTER = {11, 0, 1};

    private SeasonReport() {}

    static int months(Climate c) {
        return c.month[c.steps - 1] + 1;
    }

    static void write(SeasonSimulator.Result r) throws IOException {
        Path out = r.options().out;
        Files.createDirectories(out);
        int months = months(r.climate());
        List<SeasonMetrics> all = r.metrics();
        SeasonCharts.heat(out.resolve("heat-wanted-vs-delivered.png"), all, months);
        SeasonCharts.datacenterShare(out.resolve("datacenter-share.png"), all, months);
        SeasonCharts.donated(out.resolve("donated-core-hours.png"), all, months);
        SeasonCharts.comfort(out.resolve("comfort.png"), all, months);
        SeasonCharts.usefulFraction(out.resolve("useful-heat-fraction.png"), all, months);
        Files.writeString(out.resolve("summary.csv"), csv(r), StandardCharsets.UTF_8);
        Files.writeString(out.resolve("README.md"), markdown(r), StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- numbers

    /** Every number of the run, one line per policy and month plus a year line; deterministic for a seed. */
    static String csv(SeasonSimulator.Result r) {
        StringBuilder b = new StringBuilder();
        b.append("policy,month,heat_wanted_mwh,useful_heat_mwh,heater_compute_mwh,useful_fraction,"
                + "below_kh_per_room,above_kh_per_room,baseline_below_kh_per_room,room_hours_heated_share,room_heat_w_when_heated,backup_mwh,paid_jobs,paid_p50_s,paid_p99_s,reserved_p99_s,"
                + "on_demand_p99_s,flex_p99_s,paid_core_h,datacenter_share,boiler_share,radiator_share,"
                + "paid_preemptions,paid_lost_core_h,donated_core_h,donated_on_boilers_core_h,donated_lost_core_h,offered_core_h,granted_core_h,"
                + "donated_expired,co2_avoided_t,backup_co2_t\n");
        int months = months(r.climate());
        for (SeasonMetrics m : r.metrics()) {
            for (int mo = 0; mo <= months; mo++) {
                int k = mo == months ? -1 : mo;
                b.append(m.policy.id).append(',').append(k < 0 ? "year" : SeasonCharts.MONTHS[k]);
                double paidCore = m.paidCoreS(k);
                WaitHistogram all = m.paidWaits[k < 0 ? SeasonMetrics.MONTHS : k];
                append(b, mwh(val(m.heatWantedJ, k)), mwh(val(m.usefulHeatJ, k)), mwh(val(m.heaterComputeJ, k)),
                        m.usefulFraction(k), val(m.degreeHoursBelow, k) / m.rooms, val(m.degreeHoursAbove, k) / m.rooms,
                        val(m.baselineDegreeHoursBelow, k) / m.rooms,
                        val(m.roomHoursHeated, k) / (m.rooms * hoursIn(r.climate(), k)),
                        val(m.roomComputeJ, k) / 3600 / Math.max(1, val(m.roomHoursHeated, k)),
                        mwh(val(m.backupJ, k)), all.count(), all.quantile(0.5), all.quantile(0.99),
                        m.waits[Tiers.RESERVED][k < 0 ? 12 : k].quantile(0.99),
                        m.waits[Tiers.ON_DEMAND][k < 0 ? 12 : k].quantile(0.99),
                        m.waits[Tiers.FLEX][k < 0 ? 12 : k].quantile(0.99), paidCore / 3600, m.datacenterShare(k),
                        m.boilerShare(k), paidCore > 0 ? val(m.paidOnRadiatorsCoreS, k) / paidCore : Double.NaN,
                        val(m.paidPreemptions, k), val(m.paidLostCoreS, k) / 3600, val(m.donatedCoreS, k) / 3600,
                        val(m.donatedOnBoilersCoreS, k) / 3600,
                        val(m.donatedLostCoreS, k) / 3600, val(m.offeredCoreHours, k), val(m.grantedCoreHours, k),
                        val(m.donatedExpired, k), val(m.co2AvoidedG, k) / 1e6, val(m.backupCo2G, k) / 1e6);
                b.append('\n');
            }
        }
        return b.toString();
    }

    private static void append(StringBuilder b, Object... values) {
        for (Object v : values) {
            b.append(',');
            if (v instanceof Double) {
                double d = (Double) v;
                b.append(Double.isNaN(d) ? "" : String.format(Locale.ROOT, "%.6g", d));
            } else {
                b.append(v);
            }
        }
    }

    /** Simulated hours in a month (or the whole period for -1). */
    static double hoursIn(Climate c, int month) {
        int n = 0;
        for (int s = 0; s < c.steps; s++) {
            if (month < 0 || c.month[s] == month) {
                n++;
            }
        }
        return n * c.stepSeconds / 3600;
    }

    private static double val(double[] a, int month) {
        return month < 0 ? SeasonMetrics.sum(a) : a[month];
    }

    private static long val(long[] a, int month) {
        return month < 0 ? SeasonMetrics.sum(a) : a[month];
    }

    private static double mwh(double joules) {
        return joules / 3.6e9;
    }

    /** A few lines for the console: the year per policy. */
    static String summary(SeasonSimulator.Result r) {
        StringBuilder b = new StringBuilder();
        for (SeasonMetrics m : r.metrics()) {
            b.append(String.format(Locale.ROOT,
                    "%-22s useful heat %5.1f %%  below %7.1f K h/room  above %6.1f K h/room  backup %8.0f MWh  "
                            + "paid p50 %s p99 %s  DC share %5.1f %%  donated %,.0f core-h%n",
                    m.policy.label, 100 * m.usefulFraction(-1), SeasonMetrics.sum(m.degreeHoursBelow) / m.rooms,
                    SeasonMetrics.sum(m.degreeHoursAbove) / m.rooms, mwh(SeasonMetrics.sum(m.backupJ)),
                    duration(m.paidWaits[12].quantile(0.5)), duration(m.paidWaits[12].quantile(0.99)),
                    100 * m.datacenterShare(-1), SeasonMetrics.sum(m.donatedCoreS) / 3600));
        }
        return b.toString();
    }

    // ---------------------------------------------------------------- markdown

    static String markdown(SeasonSimulator.Result r) {
        SeasonOptions o = r.options();
        List<SeasonMetrics> all = r.metrics();
        SeasonMetrics hearth = all.get(0);
        int months = months(r.climate());
        SeasonFleet f = r.fleet();
        StringBuilder b = new StringBuilder();
        b.append("# Season simulation: heat-aware versus heat-blind placement\n\n");
        b.append(String.format(Locale.ROOT, "%d heater nodes (%,d radiators, %,d boilers) and %d data-center nodes, "
                + "%d days from 1 January, seed %d, %d-minute heat steps. Generated by\n\n", o.nodes, f.radiators,
                f.boilers, o.datacenter, o.days, o.seed, o.stepMinutes));
        b.append("```\njava -cp benchmarks/target/benchmarks.jar io.hearth.benchmarks.season.SeasonSimulator --out ")
                .append(o.out.toString().replace('\\', '/')).append(' ').append(o).append("\n```\n\n");
        b.append(String.format(Locale.ROOT, "Simulated in %.1f s (wall clock, %d policy threads, %d processors). "
                + "Every number below is also in [summary.csv](summary.csv), which is byte-identical for a seed.%n%n",
                r.elapsedMillis() / 1000.0, o.threads, Runtime.getRuntime().availableProcessors()));

        verdict(b, all, months, r.climate(), f, o);

        b.append("## The year per policy\n\n");
        b.append("| policy | useful heat fraction | heat wanted MWh | heat delivered MWh | compute on heaters MWh "
                + "| below setpoint - 1 K, K h/room | above setpoint + 1 K from compute, K h/room | backup heating MWh "
                + "| paid wait p50 / p99 | RESERVED p99 | ON_DEMAND p99 | FLEX p99 | data-center share | donated core-h "
                + "| CO2 avoided t |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (SeasonMetrics m : all) {
            b.append(String.format(Locale.ROOT, "| %s | %s | %,.0f | %,.0f | %,.0f | %.1f | %.1f | %,.0f | %s / %s | %s "
                            + "| %s | %s | %s | %,.0f | %,.0f |%n",
                    m.policy.label, pct(m.usefulFraction(-1)), mwh(SeasonMetrics.sum(m.heatWantedJ)),
                    mwh(SeasonMetrics.sum(m.usefulHeatJ)), mwh(SeasonMetrics.sum(m.heaterComputeJ)),
                    SeasonMetrics.sum(m.degreeHoursBelow) / m.rooms, SeasonMetrics.sum(m.degreeHoursAbove) / m.rooms,
                    mwh(SeasonMetrics.sum(m.backupJ)), duration(m.paidWaits[12].quantile(0.5)),
                    duration(m.paidWaits[12].quantile(0.99)), duration(m.waits[Tiers.RESERVED][12].quantile(0.99)),
                    duration(m.waits[Tiers.ON_DEMAND][12].quantile(0.99)),
                    duration(m.waits[Tiers.FLEX][12].quantile(0.99)), pct(m.datacenterShare(-1)),
                    SeasonMetrics.sum(m.donatedCoreS) / 3600, SeasonMetrics.sum(m.co2AvoidedG) / 1e6));
        }
        b.append('\n');
        b.append(String.format(Locale.ROOT, "Paid jobs submitted: %,d (the same jobs for every policy). Paid jobs still "
                        + "queued at the end: %s. Paid attempts preempted: %s; paid core-hours lost to preemption: %s.%n%n",
                SeasonMetrics.sum(hearth.paidSubmitted), list(all, m -> String.format(Locale.ROOT, "%,d", m.paidNeverStarted)),
                list(all, m -> String.format(Locale.ROOT, "%,d", SeasonMetrics.sum(m.paidPreemptions))),
                list(all, m -> String.format(Locale.ROOT, "%,.0f", SeasonMetrics.sum(m.paidLostCoreS) / 3600))));

        b.append("## Charts\n\n");
        b.append("![Heat wanted vs heat delivered per month](heat-wanted-vs-delivered.png)\n\n");
        b.append("![Data-center share of paid core-hours per month](datacenter-share.png)\n\n");
        b.append("![Donated core-hours per month](donated-core-hours.png)\n\n");
        b.append("![Uncovered comfort per month](comfort.png)\n\n");
        b.append("![Useful heat fraction per month](useful-heat-fraction.png)\n\n");

        b.append("## Per policy and month\n\n");
        b.append("Heat in MWh over all heaters; comfort in degree-hours per room; waits are submit to first start of "
                + "paid jobs submitted that month (all paid tiers); shares are of paid core-hours; CO2 avoided in tonnes.\n\n");
        for (SeasonMetrics m : all) {
            b.append("### ").append(m.policy.label).append("\n\n");
            b.append("| month | heat wanted | delivered | useful fraction | below K h | above K h | backup MWh "
                    + "| paid p50 / p99 | RES / OD / FLEX p99 | radiators / boilers / data centers | donated core-h "
                    + "| offered / granted core-h | CO2 avoided t |\n");
            b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (int mo = 0; mo < months; mo++) {
                double paid = m.paidCoreS(mo);
                b.append(String.format(Locale.ROOT, "| %s | %,.0f | %,.0f | %s | %.2f | %.2f | %,.0f | %s / %s "
                                + "| %s / %s / %s | %s / %s / %s | %,.0f | %,.0f / %,.0f | %,.1f |%n",
                        SeasonCharts.MONTHS[mo], mwh(m.heatWantedJ[mo]), mwh(m.usefulHeatJ[mo]), pct(m.usefulFraction(mo)),
                        m.degreeHoursBelow[mo] / m.rooms, m.degreeHoursAbove[mo] / m.rooms, mwh(m.backupJ[mo]),
                        duration(m.paidWaits[mo].quantile(0.5)), duration(m.paidWaits[mo].quantile(0.99)),
                        duration(m.waits[Tiers.RESERVED][mo].quantile(0.99)),
                        duration(m.waits[Tiers.ON_DEMAND][mo].quantile(0.99)),
                        duration(m.waits[Tiers.FLEX][mo].quantile(0.99)),
                        pct(paid > 0 ? m.paidOnRadiatorsCoreS[mo] / paid : Double.NaN), pct(m.boilerShare(mo)),
                        pct(m.datacenterShare(mo)), m.donatedCoreS[mo] / 3600, m.offeredCoreHours[mo],
                        m.grantedCoreHours[mo], m.co2AvoidedG[mo] / 1e6));
            }
            b.append('\n');
        }
        assumptions(b, r);
        return b.toString();
    }

    private static void verdict(StringBuilder b, List<SeasonMetrics> all, int months, Climate climate, SeasonFleet fleet,
            SeasonOptions options) {
        SeasonMetrics hearth = all.get(0);
        double januaryHours = hoursIn(climate, 0);
        String summerDonations = "";
        b.append("## Verdict\n\n");
        b.append("| check | Hearth | heat-blind | result |\n|---|---:|---|---|\n");
        double hu = hearth.usefulFraction(-1);
        double hb = SeasonMetrics.sum(hearth.degreeHoursBelow) / hearth.rooms;
        double hp = hearth.paidWaits[12].quantile(0.99);
        boolean usefulWins = true;
        boolean comfortWins = true;
        double bestBlindP99 = Double.POSITIVE_INFINITY;
        StringBuilder usefulOthers = new StringBuilder();
        StringBuilder comfortOthers = new StringBuilder();
        StringBuilder p99Others = new StringBuilder();
        for (SeasonMetrics m : all.subList(1, all.size())) {
            double u = m.usefulFraction(-1);
            double c = SeasonMetrics.sum(m.degreeHoursBelow) / m.rooms;
            double p = m.paidWaits[12].quantile(0.99);
            usefulWins &= hu > u;
            comfortWins &= hb < c;
            bestBlindP99 = Math.min(bestBlindP99, p);
            usefulOthers.append(usefulOthers.length() > 0 ? ", " : "").append(m.policy.id).append(' ').append(pct(u));
            comfortOthers.append(comfortOthers.length() > 0 ? ", " : "").append(m.policy.id)
                    .append(String.format(Locale.ROOT, " %.1f", c));
            p99Others.append(p99Others.length() > 0 ? ", " : "").append(m.policy.id).append(' ').append(duration(p));
        }
        boolean p99Ok = hp <= 1.10 * bestBlindP99;
        b.append(String.format(Locale.ROOT, "| useful heat fraction, year | %s | %s | %s |%n", pct(hu), usefulOthers,
                usefulWins ? "Hearth higher than every heat-blind policy" : "**not met**"));
        b.append(String.format(Locale.ROOT, "| degree-hours below setpoint - 1 K, year, per room | %.1f | %s | %s |%n", hb,
                comfortOthers, comfortWins ? "Hearth lower than every heat-blind policy" : "**not met**"));
        b.append(String.format(Locale.ROOT, "| paid wait p99, year | %s | %s | %s |%n", duration(hp), p99Others,
                p99Ok ? "within 10 % of the best heat-blind policy" : "**not within 10 % of the best heat-blind policy ("
                        + duration(bestBlindP99) + ")**"));
        if (months >= 8) {
            b.append(String.format(Locale.ROOT, "| Hearth paid core-hours in June-August on radiators / boilers / data "
                            + "centers | %s / %s / %s | | summer work moves to boilers and data centers |%n",
                    pct(share(hearth, hearth.paidOnRadiatorsCoreS, SUMMER)), pct(share(hearth, hearth.paidOnBoilersCoreS, SUMMER)),
                    pct(share(hearth, hearth.paidOnDatacenterCoreS, SUMMER))));
            double summer = 0;
            double summerBoilers = 0;
            double winter = 0;
            for (int mo : SUMMER) {
                summer += hearth.donatedCoreS[mo] / 3600;
                summerBoilers += hearth.donatedOnBoilersCoreS[mo] / 3600;
            }
            for (int mo : WINTER) {
                if (mo < months) {
                    winter += hearth.donatedCoreS[mo] / 3600;
                }
            }
            boolean nearZero = winter > 0 && summer / winter < NEAR_ZERO;
            b.append(String.format(Locale.ROOT, "| Hearth donated core-hours (including reruns of preempted attempts), "
                            + "June-August vs December-February | %,.0f vs %,.0f | | summer is %s of winter (on radiators "
                            + "%,.0f, on boilers %,.0f): %s |%n", summer, winter,
                    winter > 0 ? pct(summer / winter) : "n/a", summer - summerBoilers, summerBoilers,
                    nearZero ? "near zero in summer, above zero in winter" : "**not near zero** (see below)"));
            summerDonations = String.format(Locale.ROOT, "Donations in summer. Offers come from the heaters of the "
                            + "kinds in the scheduler's `donation.node-kinds`, here its default `%s`, for every policy "
                            + "alike: donations give away the rooms' heat, which fades with the heating season, while a "
                            + "tank's all-year demand (here %.0f W on average for its standing loss and %.0f L a day of "
                            + "hot water) stays the paid work's summer fallback (%s of summer paid core-hours ran on "
                            + "boilers). Hearth offers what its rooms forecast to want, so its offers follow the season; "
                            + "the heat-blind policies offer their rooms' free cores whatever the weather. With "
                            + "`donation.node-kinds=radiator,boiler` the tanks' idle headroom in the small hours and at "
                            + "weekends, when only the %,.0f-core FLEX trickle runs, is offered too and summer donations "
                            + "stay at about the tanks' share (see benchmarks/README.md).%n%n",
                    DonationSources.DEFAULT, fleet.meanTankDemandWatts(), fleet.meanTankDrawLitres(),
                    pct(share(hearth, hearth.paidOnBoilersCoreS, SUMMER)),
                    PaidWorkload.FLEX_CORES * options.nodes / (double) SeasonOptions.DEFAULT_NODES);
        }
        b.append('\n');
        double hBase = SeasonMetrics.sum(hearth.baselineDegreeHoursBelow) / hearth.rooms;
        b.append(String.format(Locale.ROOT, "Without any compute (backup heating only) the same rooms would spend %.1f K h "
                        + "each below setpoint - 1 K in the period; Hearth's compute removes %s of that, and Hearth needs the "
                        + "least backup heating (%s).%n%n", hBase, pct(1 - hb / hBase),
                list(all, m -> String.format(Locale.ROOT, "%,.0f MWh", mwh(SeasonMetrics.sum(m.backupJ))))));
        if (!comfortWins) {
            SeasonMetrics concentrated = hearth;
            for (SeasonMetrics m : all.subList(1, all.size())) {
                if (SeasonMetrics.sum(m.degreeHoursBelow) < SeasonMetrics.sum(concentrated.degreeHoursBelow)) {
                    concentrated = m;
                }
            }
            StringBuilder won = new StringBuilder();
            StringBuilder lost = new StringBuilder();
            for (int mo = 0; mo < months; mo++) {
                boolean best = true;
                for (SeasonMetrics m : all.subList(1, all.size())) {
                    best &= hearth.degreeHoursBelow[mo] < m.degreeHoursBelow[mo];
                }
                StringBuilder into = best ? won : lost;
                into.append(into.length() > 0 ? ", " : "").append(SeasonCharts.MONTHS[mo]);
            }
            b.append(String.format(Locale.ROOT, "Why the comfort check is not met. Hearth leaves the fewest degree-hours "
                            + "below the comfort band of all policies in %s, not in %s. The engine fills a room it already "
                            + "heats up to the room's demand before it opens another (in January Hearth heats %s of "
                            + "room-hours at %.0f W on average when heated; %s, the best heat-blind policy on this measure, "
                            + "heats %s at %.0f W), so in the cold months its heat lifts rooms into the band rather than "
                            + "only displacing their own heating, which holds them at setpoint - 2 K; there it is level "
                            + "with the best heat-blind policy. In the mild months Hearth puts less heat into rooms than "
                            + "the heat-blind policies. They run DONATED work up to the "
                            + "nonprofits' full claims in any room whatever it wants, which keeps rooms warm on cool nights "
                            + "as a side effect while overheating them by day (degree-hours above setpoint + 1 K per room: "
                            + "%s). Hearth offers only the idle capacity its heaters forecast to want over the window, and "
                            + "%s%n%n",
                    won.length() > 0 ? won : "no month", lost.length() > 0 ? lost : "no month",
                    pct(hearth.roomHoursHeated[0] / (hearth.rooms * januaryHours)),
                    hearth.roomComputeJ[0] / 3600 / Math.max(1, hearth.roomHoursHeated[0]), concentrated.policy.id,
                    pct(concentrated.roomHoursHeated[0] / (concentrated.rooms * januaryHours)),
                    concentrated.roomComputeJ[0] / 3600 / Math.max(1, concentrated.roomHoursHeated[0]),
                    list(all, m -> String.format(Locale.ROOT, "%,.0f", SeasonMetrics.sum(m.degreeHoursAbove) / m.rooms)),
                    options.recoveryForecast
                            ? "even with the worker's forecast, which includes bringing each room back to its setpoint "
                                    + "within the window, that is not enough here."
                            : "with `--forecast hold` a heater forecasts only the heat to hold its setpoint (less its "
                                    + "gains), not the heat to bring a room that its own heating holds at setpoint - 2 K "
                                    + "back up: in mild weather that is often less than one core's watts, so Hearth "
                                    + "offers little (offered core-hours October-April: " + list(all,
                                    m -> String.format(Locale.ROOT, "%,.0f", sumMonths(m.offeredCoreHours, 0, 3)
                                            + sumMonths(m.offeredCoreHours, 9, 11))) + "), and rooms that ask for heat "
                                    + "stay at setpoint - 2 K. The default run, with the forecast the worker sends (it "
                                    + "adds the heat to bring the room back to its setpoint within the window), is in "
                                    + "[the season report](../README.md)."));
        }
        double hAbove = SeasonMetrics.sum(hearth.degreeHoursAbove) / hearth.rooms;
        if (hAbove > 0) {
            int worst = 0;
            for (int mo = 1; mo < months; mo++) {
                worst = hearth.degreeHoursAbove[mo] > hearth.degreeHoursAbove[worst] ? mo : worst;
            }
            b.append(String.format(Locale.ROOT, "Overheating from Hearth's compute: %.1f K h per room above setpoint + 1 K "
                            + "in the period (most in %s: %.1f), against %s for the heat-blind policies. The thermostat "
                            + "law asks for UA (setpoint - outdoor) + %.0f W/K (setpoint - room) and knows nothing of "
                            + "the sun and the occupants: a room that compute holds near its setpoint in the morning is "
                            + "lifted above the band when the sun comes in, and the law only answers through the room "
                            + "temperature (with gains G the room settles about G / (UA + %.0f W/K) above setpoint while "
                            + "the compute runs); the thermal stop moves work away only once the demand falls below the "
                            + "work's draw.%n%n", hAbove,
                    SeasonCharts.MONTHS[worst], hearth.degreeHoursAbove[worst] / hearth.rooms,
                    list(all.subList(1, all.size()), m -> String.format(Locale.ROOT, "%,.0f",
                            SeasonMetrics.sum(m.degreeHoursAbove) / m.rooms)), SeasonFleet.ROOM_KP, SeasonFleet.ROOM_KP));
        }
        b.append(summerDonations);
        if (!p99Ok) {
            b.append("Why the p99 wait is not met: see the per-month tables; Hearth runs paid work only on heaters whose "
                    + "room or tank wants the heat and on data-center nodes, so when the paid peak exceeds the heat "
                    + "wanted plus the data-center capacity (summer evenings, the nightly risk batch), jobs queue where "
                    + "a heat-blind scheduler would run them in rooms that do not want the heat.\n\n");
        }
    }

    private static double sumMonths(double[] perMonth, int from, int to) {
        double sum = 0;
        for (int mo = from; mo <= to && mo < perMonth.length; mo++) {
            sum += perMonth[mo];
        }
        return sum;
    }

    private static double share(SeasonMetrics m, double[] part, int[] months) {
        double p = 0;
        double all = 0;
        for (int mo : months) {
            p += part[mo];
            all += m.paidCoreS(mo);
        }
        return all > 0 ? p / all : Double.NaN;
    }

    private static void assumptions(StringBuilder b, SeasonSimulator.Result r) {
        SeasonFleet f = r.fleet();
        double scale = r.options().nodes / (double) SeasonOptions.DEFAULT_NODES;
        b.append("## Model and assumptions\n\n");
        b.append(String.format(Locale.ROOT, "- **Weather.** Paris monthly normals of DESIGN.md (5.4 ... 21.0 ... 5.9 C), "
                        + "interpolated between mid-month values, a daily cycle of +-%.0f K peaking at 15:00 local time, and a "
                        + "seeded day-to-day anomaly (AR(1), standard deviation %.0f K, day-to-day correlation %.1f). "
                        + "Heating degree-days (base 18 C) of the simulated period: %,.0f (DESIGN.md: about 2,100-2,500 a year).%n",
                Climate.DAILY_AMPLITUDE_K, Climate.ANOMALY_SD_K, Climate.ANOMALY_PERSISTENCE, r.climate().heatingDegreeDays));
        b.append(String.format(Locale.ROOT, "- **Radiators** (%,d, 80 %% of heaters): 3-4 compute boards of 130-160 W "
                + "(390-640 W at full load), classes SEALED 80 %% / OPEN 10 %% / CONTROLLED 10 %%. Rooms: loss coefficient "
                + "UA ~ N(30, 8) W/K clipped to 15-60, time constant ~ N(30, 5) h clipped to 20-40 (mass = UA x tau, about "
                + "3.3 MJ/K), setpoint 19 / 19.5 / 20 C, %.0f %% with a night setback of 2-3 K from 23:00 to 06:00; %.0f %% "
                + "1R1C, %.0f %% 2R2C (air 15 %% of the mass coupled to the envelope by 6 UA, 30 %% of UA straight from the "
                + "air to outside). The thermostat asks for UA (setpoint - outdoor) + %.0f W/K (setpoint - room), clipped to "
                + "0 .. full load (the worker's SimulatedRoom law, without its cut to zero above the setpoint: with "
                + "%d-minute steps the proportional term is the smoother model).%n", f.radiators,
                100 * SeasonFleet.SETBACK_SHARE, 100 * (1 - SeasonFleet.TWO_NODE_SHARE), 100 * SeasonFleet.TWO_NODE_SHARE,
                SeasonFleet.ROOM_KP, r.options().stepMinutes));
        b.append(String.format(Locale.ROOT, "- **Backup heating.** Each room keeps its own heating (%.0f %% gas boilers, "
                        + "%.0f %% electric), set %.0f K below the Hearth setpoint in force: compute is the primary heat, and "
                        + "the backup stops a room falling further. So a room no compute heats sits near setpoint - %.0f K "
                        + "and accrues about 1 K h per hour below setpoint - 1 K; heat-up after setback is slower without "
                        + "compute. Tanks keep their 2 kW immersion element, holding setpoint - %.0f K.%n",
                100 * SeasonFleet.GAS_BACKUP_SHARE, 100 * (1 - SeasonFleet.GAS_BACKUP_SHARE), SeasonFleet.ROOM_BACKUP_BELOW_K,
                SeasonFleet.ROOM_BACKUP_BELOW_K, SeasonFleet.TANK_BACKUP_BELOW_K));
        b.append(String.format(Locale.ROOT, "- **Boilers** (%,d, 20 %% of heaters, CONTROLLED, 3-4 boards): the worker's "
                + "SimulatedTank: 150-300 L at 55-60 C, standing loss 1.5-2.5 W/K to an 18 C plant room, 100-200 L a day "
                + "drawn on a morning/evening profile and replaced by 12 C mains water; the thermostat asks for losses plus "
                + "the mean draw plus 100 W/K (setpoint - tank). A relief keeps the tank at or below %.0f C.%n",
                f.boilers, SeasonFleet.TANK_MAX_C));
        b.append(String.format(Locale.ROOT, "- **Data-center nodes** (%d, CERTIFIED): 16 / 24 / 32 cores of 8-15 W; "
                + "their heat is never useful.%n", r.options().datacenter));
        b.append("- **Comfort.** Degree-hours below (setpoint in force - 1 K), from each step's mean room temperature; "
                + "degree-hours above (setpoint + 1 K) count only the excess over what the same room reaches without "
                + "compute (a twin room with backup only, so summer heat is not blamed on compute). Tanks are not in "
                + "the comfort figures.\n");
        b.append("- **Heat wanted and delivered.** Wanted: each heater's thermostat demand (up to its full-load power) "
                + "integrated over time. Delivered (useful): per heater and step, the smaller of its mean compute power "
                + "and its demand, as the scheduler's own `hearth_heat_useful_fraction` counts it. Useful heat fraction = "
                + "delivered / compute energy on heaters.\n");
        b.append(String.format(Locale.ROOT, "- **Paid jobs** (the same arrivals for every policy; rates scale with the "
                        + "fleet, x%.2f here): a FLEX trickle keeping %,.0f cores busy at all hours; weekday business hours "
                        + "08:00-19:00 keeping %,.0f cores busy (70 %% ON_DEMAND, 30 %% FLEX); a nightly risk batch "
                        + "(RESERVED, 5 bank tenants) submitted 20:00-02:00 after each weekday keeping %,.0f cores busy. "
                        + "Runtimes lognormal (median 75 min, sigma 0.9; batch 45 min, sigma 0.7; 2 min to 12 h); sizes "
                        + "lognormal, 1-4 cores (CERTIFIED jobs 1-16 cores, median 4); classes OPEN 15 %% / SEALED 55 %% "
                        + "/ CONTROLLED 20 %% / CERTIFIED 10 %% (batch: SEALED 60 %% / CONTROLLED 25 %% / CERTIFIED 15 %%); "
                        + "3 %% exclusive; 20 tenants; 2 GiB per core. Fleet: %,d heater cores, %,d data-center cores.%n",
                scale, PaidWorkload.FLEX_CORES * scale, PaidWorkload.BUSINESS_CORES * scale,
                PaidWorkload.BATCH_CORES * scale, f.totalCores(true), f.totalCores(false) - f.totalCores(true)));
        b.append(String.format(Locale.ROOT, "- **Donations.** Every %d h each policy publishes an offer; three "
                        + "nonprofits (weights 2 / 1 / 1) claim %,.0f / %,.0f / %,.0f cores for the window; the scheduler's "
                        + "`FairShare` shares the offer; each nonprofit submits DONATED jobs (1-4 cores, lognormal runtime "
                        + "median 2.5 h, 15 min-8 h, class OPEN) up to its grant; a job not started by the window's end expires. "
                        + "Hearth offers the Placer's idle heat capacity: free cores of the heaters of the kinds in "
                        + "`donation.node-kinds` (the scheduler's default, radiators; every policy offers from the same "
                        + "kinds) whose heat is wanted now and "
                        + "forecast over the window (perfect forecast of the outdoor temperature), minus queued paid cores. "
                        + "The forecast " + (r.options().recoveryForecast
                                ? "is the worker's (`LumpedThermalModel.forecastDemandWatts`): the heat to hold the "
                                        + "setpoint over the window (for a tank, its losses and mean draw) less the room's "
                                        + "expected gains, plus the heat to bring the room or tank from its temperature now "
                                        + "back to the setpoint within the window (mass x shortfall / window). The same "
                                        + "scenario without the latter term (`--forecast hold`) is in "
                                        + "[forecast-hold/](forecast-hold/README.md). "
                                : "here (`--forecast hold`, not what the worker sends) is only the heat to hold the "
                                        + "setpoint over the window less the room's expected gains (for a tank, its losses "
                                        + "and mean draw), not the heat to bring a room that is below it back up. ")
                        + "Heat-blind policies know no heat, so they offer those heaters' free cores minus queued paid "
                        + "cores, and place DONATED jobs as they place everything else (never on data-center nodes, as "
                        + "for Hearth).%n", PolicyRun.WINDOW_HOURS, PolicyRun.NONPROFIT_CLAIM_CORES[0] * scale,
                PolicyRun.NONPROFIT_CLAIM_CORES[1] * scale, PolicyRun.NONPROFIT_CLAIM_CORES[2] * scale));
        b.append("- **Policies.** Hearth: `PlacementEngine` with default options and filters (the heater that needs heat "
                + "most: one already running work before one that runs none, then the most heat headroom; else the "
                + "data-center node with the most free cores; minimum heat fraction 1.0; DONATED "
                + "never on data centers), fed each heater's demand and draw at every step and every job end. Its agents' "
                + "thermal throttle and the scheduler's thermal stop are modelled: when a heater's work draws more than its "
                + "demand plus half a board, the lowest tiers there (newest first) are preempted and placed where heat is "
                + "wanted. Heat-blind policies use the same engine to keep the books (every reservation is re-checked by "
                + "the engine's filters) and choose among nodes passing the same state, class, region, capacity, "
                + "exclusivity and tier filters: spread = most free cores, bin-pack = fewest free cores that fit, random = "
                + "seeded uniform. They have no thermal stop (an ordinary scheduler runs work to completion). For every "
                + "policy a paid job that fits nowhere preempts DONATED work (newest first) on the node where that frees "
                + "the fewest cores; paid work never preempts paid work here. Preempted attempts restart from scratch.\n");
        b.append("- **Events and time.** Arrivals and job ends are events at their exact simulated instants; a job that "
                + "arrives is placed at once if it fits; capacity freed by an end is offered to the first queued jobs of "
                + "each tier; every step all queued jobs are tried again, highest tier first. Thermal models advance "
                + "exactly over each step for the step's mean compute power (piecewise-constant inputs).\n");
        b.append(String.format(Locale.ROOT, "- **CO2 avoided** = useful heat x the intensity of the heating it displaces: "
                        + "%.0f g/kWh of heat for rooms heated by gas (227 g/kWh of gas at 90 %% efficiency), %.0f g/kWh for "
                        + "electric rooms and all tanks (French grid, resistance heating). The compute's own electricity is not "
                        + "netted: the same paid jobs run under every policy (donated volumes differ, see the tables). The "
                        + "backup heating's own emissions are in summary.csv (`backup_co2_t`).%n",
                PolicyRun.GAS_HEAT_G_PER_KWH, PolicyRun.ELECTRIC_HEAT_G_PER_KWH));
        b.append(String.format(Locale.ROOT, "- **Gains** (the worker's `RoomGains`, the same code as its simulated rooms): "
                        + "internal gains (occupants, cooking, appliances) on a fixed daily profile in local time, about "
                        + "100 W at night, 110-130 W by day, 220-280 W from 18:00 to 21:00 for a profile of %.0f W on average, "
                        + "scaled per room so that its daily mean is a seeded %.1f-%.1f K of the room's loss coefficient "
                        + "(gains / UA; one radiator heats one room, which gets its share of a dwelling's gains; 1-2 K is "
                        + "what the base 18 C of French heating degree-days implies against 19-20 C setpoints; mean scale "
                        + "%.2f); solar gains = a seeded effective aperture "
                        + "%.1f-%.1f m2 (1.5-3 m2 of glazing x a solar factor of about 0.6 x orientation and shading 0.2-0.6; mean %.2f m2) x the global "
                        + "horizontal irradiance of Paris: the month's mean daily irradiation (kWh/m2/day, January to "
                        + "December: %s; approximate long-term means of the order PVGIS-SARAH2 and Meteo-France's "
                        + "Paris-Montsouris normals give, about 1,150 kWh/m2 a year) spread over the day as a half sinusoid "
                        + "between sunrise and sunset (day length from the solar declination at 48.86 N, solar noon 11:51 "
                        + "UTC), no day-to-day cloudiness. Gains heat the room (and its no-compute twin) like compute "
                        + "power, into the air node of a 2R2C room; the thermostat law is unchanged and sees them only "
                        + "through the room temperature; the forecast subtracts the gains expected over the window. "
                        + "Tanks have no gains.%n",
                RoomGains.meanInternalWatts(), RoomGains.MIN_INTERNAL_K, RoomGains.MAX_INTERNAL_K,
                f.meanInternalScale(), RoomGains.MIN_APERTURE_M2, RoomGains.MAX_APERTURE_M2, f.meanApertureM2(),
                RoomGains.parisDailyIrradiationList()));
        b.append("- **Not modelled.** Occupancy varying by room or day, clouds day to day, network and node failures, job failures and "
                + "retries, quotas, paid-on-paid preemption, grants spent by actual use (a grant here is spent by what "
                + "its jobs ask for), hot-water draws varying by day.\n");
    }

    // ---------------------------------------------------------------- formatting

    static String pct(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f %%", 100 * v);
    }

    static String duration(double seconds) {
        if (Double.isNaN(seconds)) {
            return "-";
        }
        if (seconds < 120) {
            return String.format(Locale.ROOT, "%.0f s", seconds);
        }
        if (seconds < 7200) {
            return String.format(Locale.ROOT, "%.0f min", seconds / 60);
        }
        return String.format(Locale.ROOT, "%.1f h", seconds / 3600);
    }

    private static String list(List<SeasonMetrics> all, java.util.function.Function<SeasonMetrics, String> f) {
        StringBuilder b = new StringBuilder();
        for (SeasonMetrics m : all) {
            b.append(b.length() > 0 ? ", " : "").append(m.policy.id).append(' ').append(f.apply(m));
        }
        return b.toString();
    }
}
