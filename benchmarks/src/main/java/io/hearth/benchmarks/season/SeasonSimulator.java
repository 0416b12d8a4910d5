package io.hearth.benchmarks.season;

import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Hearth's season simulator: a year of a heater fleet plus data-center nodes under Hearth's
 * heat-aware placement and three heat-blind policies, on identical weather, fleet and jobs; writes a
 * Markdown report with PNG charts.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.hearth.benchmarks.season.SeasonSimulator \
 *     --out benchmarks/season-report [--nodes 10000 --datacenter 500 --seed 1 --days 365]
 * </pre>
 *
 * Bad flags print one line naming the flag and its bound and exit with status 2. The policies run in
 * parallel, one thread each (at most {@code --threads}); each owns its engine and state.
 */
public final class SeasonSimulator {

    /** Everything a season produced: the inputs and one metrics set per policy, in {@link Policy} order. */
    record Result(SeasonOptions options, Climate climate, SeasonFleet fleet, List<SeasonMetrics> metrics, long elapsedMillis) {}

    /** Policies by their CPU time in a 10,000-node year on this machine, longest first. */
    static final Policy[] LONGEST_FIRST = {Policy.HEARTH, Policy.SPREAD, Policy.RANDOM, Policy.BIN_PACK};

    private SeasonSimulator() {}

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        SeasonOptions options;
        try {
            options = SeasonOptions.parse(args);
        } catch (SeasonOptions.HelpRequested e) {
            System.out.println(SeasonOptions.usage());
            return;
        } catch (IllegalArgumentException e) {
            System.err.println("season: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.out.println("season: simulating " + options + " (" + options.threads + " threads)");
        Result result = simulate(options);
        try {
            SeasonReport.write(result);
        } catch (IOException e) {
            System.err.println("season: cannot write the report to " + options.out + ": " + e.getMessage());
            System.exit(1);
        }
        System.out.print(SeasonReport.summary(result));
        System.out.printf(Locale.ROOT, "season: simulated in %.1f s; report in %s%n", result.elapsedMillis() / 1000.0,
                options.out.resolve("README.md"));
    }

    /** Runs every policy over the same inputs; deterministic for the options' seed. */
    static Result simulate(SeasonOptions o) {
        long t0 = System.nanoTime();
        Climate climate = new Climate(o.days, o.stepMinutes, o.seed);
        SeasonFleet fleet = new SeasonFleet(o.nodes, o.datacenter, climate.stepSeconds, o.seed);
        double scale = o.nodes / (double) SeasonOptions.DEFAULT_NODES;
        ExecutorService pool = Executors.newFixedThreadPool(o.threads, r -> {
            Thread t = new Thread(r, "season-policy");
            t.setDaemon(true);
            return t;
        });
        try {
            // Longest runs first, so the last one to start is short and the threads finish together.
            Map<Policy, Future<SeasonMetrics>> futures = new EnumMap<>(Policy.class);
            for (Policy p : LONGEST_FIRST) {
                futures.put(p, pool.submit(() -> new PolicyRun(p, fleet, climate, o.seed, scale, o.recoveryForecast).run()));
            }
            List<SeasonMetrics> metrics = new ArrayList<>();
            for (Policy p : Policy.values()) {
                metrics.add(futures.get(p).get());
            }
            return new Result(o, climate, fleet, metrics, (System.nanoTime() - t0) / 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a policy run failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }
}
