package io.hearth.benchmarks.season;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SeasonSimulatorTest {

    private static SeasonOptions options(int nodes, int datacenter, long seed, int days) {
        return new SeasonOptions(nodes, datacenter, seed, days, 15, 2, Path.of("unused"));
    }

    @Test
    void sameSeedGivesByteIdenticalNumbers() {
        SeasonSimulator.Result a = SeasonSimulator.simulate(options(200, 10, 7, 30));
        SeasonSimulator.Result b = SeasonSimulator.simulate(options(200, 10, 7, 30));
        assertThat(SeasonReport.csv(b)).isEqualTo(SeasonReport.csv(a));
        SeasonSimulator.Result c = SeasonSimulator.simulate(options(200, 10, 8, 30));
        assertThat(SeasonReport.csv(c)).isNotEqualTo(SeasonReport.csv(a));
    }

    @Test
    void summerMovesPaidWorkOffRadiatorsAndWinterDonates() {
        SeasonSimulator.Result r = SeasonSimulator.simulate(options(200, 10, 1, 365));
        SeasonMetrics hearth = r.metrics().get(0);
        assertThat(hearth.policy).isEqualTo(Policy.HEARTH);
        double winterDonated = 0;
        double summerDonatedOnRadiators = 0;
        double summerDonated = 0;
        for (int mo : new int[] {11, 0, 1}) {
            winterDonated += hearth.donatedCoreS[mo];
        }
        for (int mo : new int[] {5, 6, 7}) {
            double paid = hearth.paidCoreS(mo);
            assertThat((hearth.paidOnDatacenterCoreS[mo] + hearth.paidOnBoilersCoreS[mo]) / paid)
                    .as("month %d: share of paid core-hours on data centers and boilers", mo + 1)
                    .isGreaterThan(0.85);
            assertThat(hearth.datacenterShare(mo)).isGreaterThan(hearth.datacenterShare(0));
            summerDonatedOnRadiators += hearth.donatedCoreS[mo] - hearth.donatedOnBoilersCoreS[mo];
            summerDonated += hearth.donatedCoreS[mo];
        }
        assertThat(winterDonated).isPositive();
        assertThat(summerDonatedOnRadiators).isLessThan(0.05 * winterDonated);
        // Offers come from radiators by default (donation.node-kinds): the tanks' summer headroom is not given away.
        assertThat(summerDonated).isLessThan(SeasonReport.NEAR_ZERO * winterDonated);
        // Heat-aware placement wastes less heat than any heat-blind policy on the same jobs.
        for (SeasonMetrics blind : r.metrics().subList(1, r.metrics().size())) {
            assertThat(hearth.usefulFraction(-1)).isGreaterThan(blind.usefulFraction(-1));
        }
    }

    @Test
    void refusesBadFlagsNamingTheFlagAndBound() {
        assertThatThrownBy(() -> SeasonOptions.parse(new String[] {"--nodes", "0"}))
                .hasMessage("--nodes: 0 (expected: 1..100000)");
        assertThatThrownBy(() -> SeasonOptions.parse(new String[] {"--days", "400"}))
                .hasMessage("--days: 400 (expected: 1..366)");
        assertThatThrownBy(() -> SeasonOptions.parse(new String[] {"--step-minutes", "7"}))
                .hasMessage("--step-minutes: 7 (expected: a divisor of 60)");
        assertThatThrownBy(() -> SeasonOptions.parse(new String[] {"--bogus", "1"}))
                .hasMessageStartingWith("--bogus: unknown flag");
        assertThatThrownBy(() -> SeasonOptions.parse(new String[] {"--forecast", "perfect"}))
                .hasMessage("--forecast: 'perfect' (expected: hold or recover)");
    }

    @Test
    void namesANonDefaultForecastInTheCommandItPrints() {
        assertThat(SeasonOptions.parse(new String[] {"--forecast", "recover"}).toString()).doesNotContain("--forecast");
        assertThat(SeasonOptions.parse(new String[0]).recoveryForecast).isTrue();
        SeasonOptions hold = SeasonOptions.parse(new String[] {"--forecast", "hold"});
        assertThat(hold.recoveryForecast).isFalse();
        assertThat(hold.toString()).endsWith(" --forecast hold");
    }
}
