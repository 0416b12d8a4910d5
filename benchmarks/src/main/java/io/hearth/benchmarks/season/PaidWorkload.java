package io.hearth.benchmarks.season;

import io.hearth.scheduler.placement.SecurityClasses;
import io.hearth.scheduler.placement.Tiers;

import java.util.SplittableRandom;

/**
 * The paid job arrivals of a season, as a Poisson process whose rate follows the calendar: a FLEX
 * trickle at all hours, business-hours work on weekdays (08:00-19:00 local, ON_DEMAND and FLEX) and a
 * nightly risk batch (RESERVED, submitted 20:00-02:00 after each weekday). Runtimes and sizes are
 * lognormal; security classes are a fixed mix. Rates are set so that each stream keeps its target
 * number of cores busy on average while it is on (scaled with the fleet).
 *
 * <p>One instance per policy run, all built from the same seed, so every policy sees the very same
 * jobs at the very same instants. Not thread-safe.
 */
final class PaidWorkload {
    /** Cores each stream keeps busy on average while on, for a fleet of 10,000 heaters. */
    static final double FLEX_CORES = 2_000;
    static final double BUSINESS_CORES = 7_000;
    static final double BATCH_CORES = 8_000;
    static final int BUSINESS_FROM_HOUR = 8;
    static final int BUSINESS_TO_HOUR = 19;
    static final int BATCH_FROM_HOUR = 20;
    static final int BATCH_TO_HOUR = 2;
    static final int TENANTS = 20;
    static final int BANKS = 5;
    static final double EXCLUSIVE_SHARE = 0.03;
    static final double MIN_RUNTIME_S = 120;
    static final double MAX_RUNTIME_S = 12 * 3600;

    private static final int FLEX = 0;
    private static final int BUSINESS = 1;
    private static final int BATCH = 2;

    private final Climate climate;
    private final double[] rates = new double[3];
    private final SplittableRandom rnd;
    private final boolean[] businessOn;
    private final boolean[] batchOn;
    private int step;

    // The current arrival.
    double time;
    int tier;
    int securityClass;
    int cores;
    double runtimeSeconds;
    boolean exclusive;
    int tenant;

    PaidWorkload(Climate climate, double scale, long seed) {
        this.climate = climate;
        SplittableRandom cal = Rng.stream(seed, "paid-calibration");
        rates[FLEX] = FLEX_CORES * scale / meanCoreSeconds(FLEX, cal);
        rates[BUSINESS] = BUSINESS_CORES * scale / meanCoreSeconds(BUSINESS, cal);
        rates[BATCH] = BATCH_CORES * scale / meanCoreSeconds(BATCH, cal);
        businessOn = new boolean[climate.steps];
        batchOn = new boolean[climate.steps];
        for (int s = 0; s < climate.steps; s++) {
            int h = climate.hour[s];
            int dow = climate.dayOfWeek[s];
            businessOn[s] = dow <= 5 && h >= BUSINESS_FROM_HOUR && h < BUSINESS_TO_HOUR;
            batchOn[s] = (h >= BATCH_FROM_HOUR && dow <= 5) || (h < BATCH_TO_HOUR && dow >= 2 && dow <= 6);
        }
        rnd = Rng.stream(seed, "paid");
        time = 0;
        step = 0;
        advance();
    }

    private double meanCoreSeconds(int stream, SplittableRandom cal) {
        double sum = 0;
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            draw(stream, cal);
            sum += cores * runtimeSeconds;
        }
        return sum / n;
    }

    private double rate(int s) {
        return rates[FLEX] + (businessOn[s] ? rates[BUSINESS] : 0) + (batchOn[s] ? rates[BATCH] : 0);
    }

    /** Moves to the next arrival; {@link #time} becomes +infinity after the last step. */
    void advance() {
        double h = climate.stepSeconds;
        while (true) {
            if (step >= climate.steps) {
                time = Double.POSITIVE_INFINITY;
                return;
            }
            double r = rate(step);
            double end = (step + 1) * h;
            double gap = -Math.log(1 - rnd.nextDouble()) / r;
            if (time + gap < end) {
                time += gap;
                break;
            }
            // Memoryless: restart from the step boundary with the next step's rate.
            time = end;
            step++;
        }
        double u = rnd.nextDouble() * rate(step);
        int stream = u < rates[FLEX] ? FLEX : u < rates[FLEX] + (businessOn[step] ? rates[BUSINESS] : 0) ? BUSINESS : BATCH;
        draw(stream, rnd);
    }

    private void draw(int stream, SplittableRandom r) {
        double p = r.nextDouble();
        if (stream == BATCH) {
            tier = Tiers.RESERVED;
            securityClass = p < 0.60 ? SecurityClasses.SEALED : p < 0.85 ? SecurityClasses.CONTROLLED : SecurityClasses.CERTIFIED;
            tenant = r.nextInt(BANKS);
            runtimeSeconds = Rng.clamp(Rng.lognormal(r, 45 * 60, 0.7), MIN_RUNTIME_S, MAX_RUNTIME_S);
        } else {
            tier = stream == FLEX ? Tiers.FLEX : r.nextDouble() < 0.7 ? Tiers.ON_DEMAND : Tiers.FLEX;
            securityClass = p < 0.15 ? SecurityClasses.OPEN : p < 0.70 ? SecurityClasses.SEALED
                    : p < 0.90 ? SecurityClasses.CONTROLLED : SecurityClasses.CERTIFIED;
            tenant = r.nextInt(TENANTS);
            runtimeSeconds = Rng.clamp(Rng.lognormal(r, 75 * 60, 0.9), MIN_RUNTIME_S, MAX_RUNTIME_S);
        }
        cores = securityClass == SecurityClasses.CERTIFIED
                ? (int) Rng.clamp(Math.round(Rng.lognormal(r, 4, 0.6)), 1, 16)
                : (int) Rng.clamp(Math.round(Rng.lognormal(r, 1.6, 0.5)), 1, 4);
        exclusive = r.nextDouble() < EXCLUSIVE_SHARE;
    }
}
