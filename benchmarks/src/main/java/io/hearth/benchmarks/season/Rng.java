package io.hearth.benchmarks.season;

import java.util.SplittableRandom;

/**
 * Named, seeded random streams: each stream (weather, fleet, paid arrivals, donations, the random
 * policy) gets its own generator, so one stream's draws never shift another's and every policy sees
 * the same weather, fleet and paid arrivals. Stateless factory; each returned generator belongs to
 * one thread.
 */
final class Rng {
    private Rng() {}

    static SplittableRandom stream(long seed, String name) {
        long h = 0x9E3779B97F4A7C15L * (seed + 1);
        for (int i = 0; i < name.length(); i++) {
            h = (h ^ name.charAt(i)) * 0x100000001B3L;
        }
        return new SplittableRandom(mix(h));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A lognormal draw with the given median and log-space standard deviation. */
    static double lognormal(SplittableRandom r, double median, double sigma) {
        return median * Math.exp(sigma * gaussian(r));
    }

    /** Standard normal by Box-Muller (the JDK's nextGaussian algorithm is not specified across versions). */
    static double gaussian(SplittableRandom r) {
        double u1 = 1.0 - r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    static double clamp(double v, double lo, double hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
