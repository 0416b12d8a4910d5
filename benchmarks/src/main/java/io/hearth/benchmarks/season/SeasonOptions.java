package io.hearth.benchmarks.season;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Settings of one season run, from the command line. Immutable; bad values are refused on entry with
 * one line naming the flag and its bound, e.g. {@code --nodes: 0 (expected: 1..100000)}.
 */
public final class SeasonOptions {
    public static final int DEFAULT_NODES = 10_000;
    public static final int DEFAULT_DATACENTER = 500;
    public static final long DEFAULT_SEED = 1;
    public static final int DEFAULT_DAYS = 365;
    public static final int DEFAULT_STEP_MINUTES = 15;
    public static final String DEFAULT_OUT = "benchmarks/season-report";
    /**
     * The heat forecast a heater sends with its telemetry. "recover", what the worker's thermostats send
     * (LumpedThermalModel.forecastDemandWatts): the heat to hold the setpoint over the window less the
     * expected gains, plus the heat to bring the room or tank from its temperature now back to the
     * setpoint within the window. "hold": without the latter, for comparison.
     */
    public static final String DEFAULT_FORECAST = "recover";

    final int nodes;
    final int datacenter;
    final long seed;
    final int days;
    final int stepMinutes;
    final int threads;
    final Path out;
    /** Whether heaters forecast the heat to recover their setpoint too (the default; false with --forecast hold). */
    final boolean recoveryForecast;

    SeasonOptions(int nodes, int datacenter, long seed, int days, int stepMinutes, int threads, Path out) {
        this(nodes, datacenter, seed, days, stepMinutes, threads, out, true);
    }

    SeasonOptions(int nodes, int datacenter, long seed, int days, int stepMinutes, int threads, Path out,
            boolean recoveryForecast) {
        this.nodes = check("--nodes", nodes, 1, 100_000);
        this.datacenter = check("--datacenter", datacenter, 0, 10_000);
        this.seed = seed;
        this.days = check("--days", days, 1, 366);
        this.stepMinutes = check("--step-minutes", stepMinutes, 1, 60);
        if (60 % stepMinutes != 0) {
            throw new IllegalArgumentException("--step-minutes: " + stepMinutes + " (expected: a divisor of 60)");
        }
        this.threads = check("--threads", threads, 1, 4);
        this.out = out;
        this.recoveryForecast = recoveryForecast;
    }

    static SeasonOptions defaults() {
        return new SeasonOptions(DEFAULT_NODES, DEFAULT_DATACENTER, DEFAULT_SEED, DEFAULT_DAYS, DEFAULT_STEP_MINUTES,
                defaultThreads(), Path.of(DEFAULT_OUT));
    }

    static int defaultThreads() {
        return Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    }

    SeasonOptions with(int nodes, int datacenter, long seed, int days) {
        return new SeasonOptions(nodes, datacenter, seed, days, stepMinutes, threads, out, recoveryForecast);
    }

    /** Parses {@code --flag value} pairs; throws {@link IllegalArgumentException} with a one-line message. */
    static SeasonOptions parse(String[] args) {
        int nodes = DEFAULT_NODES;
        int datacenter = DEFAULT_DATACENTER;
        long seed = DEFAULT_SEED;
        int days = DEFAULT_DAYS;
        int step = DEFAULT_STEP_MINUTES;
        int threads = defaultThreads();
        Path out = Path.of(DEFAULT_OUT);
        boolean recover = true;
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("--help") || flag.equals("-h")) {
                throw new HelpRequested();
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(flag + ": missing value");
            }
            String v = args[++i];
            switch (flag) {
                case "--nodes": nodes = integer(flag, v, 1, 100_000); break;
                case "--datacenter": datacenter = integer(flag, v, 0, 10_000); break;
                case "--seed": seed = longValue(flag, v); break;
                case "--days": days = integer(flag, v, 1, 366); break;
                case "--step-minutes": step = integer(flag, v, 1, 60); break;
                case "--threads": threads = integer(flag, v, 1, 4); break;
                case "--out": out = Path.of(v); break;
                case "--forecast": recover = forecast(flag, v); break;
                default: throw new IllegalArgumentException(flag + ": unknown flag (expected one of --out, --nodes, "
                        + "--datacenter, --seed, --days, --step-minutes, --threads, --forecast)");
            }
        }
        return new SeasonOptions(nodes, datacenter, seed, days, step, threads, out, recover);
    }

    static String usage() {
        return "usage: java -cp benchmarks/target/benchmarks.jar io.hearth.benchmarks.season.SeasonSimulator"
                + " [--out DIR (default " + DEFAULT_OUT + ")] [--nodes 1..100000 heater nodes (default " + DEFAULT_NODES
                + ")] [--datacenter 0..10000 (default " + DEFAULT_DATACENTER + ")] [--seed N (default " + DEFAULT_SEED
                + ")] [--days 1..366 (default " + DEFAULT_DAYS + ")] [--step-minutes divisor of 60 (default "
                + DEFAULT_STEP_MINUTES + ")] [--threads 1..4 (default: available processors)] [--forecast hold|recover "
                + "(default " + DEFAULT_FORECAST + ")]";
    }

    private static boolean forecast(String flag, String v) {
        switch (v.trim()) {
            case "hold": return false;
            case "recover": return true;
            default: throw new IllegalArgumentException(flag + ": '" + v + "' (expected: hold or recover)");
        }
    }

    private static int integer(String flag, String v, int min, int max) {
        long x;
        try {
            x = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + ": '" + v + "' (expected: a whole number " + min + ".." + max + ")");
        }
        if (x < min || x > max) {
            throw new IllegalArgumentException(flag + ": " + x + " (expected: " + min + ".." + max + ")");
        }
        return (int) x;
    }

    private static long longValue(String flag, String v) {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + ": '" + v + "' (expected: a whole number)");
        }
    }

    private static int check(String flag, int v, int min, int max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(flag + ": " + v + " (expected: " + min + ".." + max + ")");
        }
        return v;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "--nodes %d --datacenter %d --seed %d --days %d --step-minutes %d%s",
                nodes, datacenter, seed, days, stepMinutes, recoveryForecast ? "" : " --forecast hold");
    }

    /** --help: print the usage and exit 0. */
    static final class HelpRequested extends RuntimeException {
        HelpRequested() {
            super(null, null, false, false);
        }
    }
}
