package io.hearth.benchmarks.season;

/**
 * Waits (submit to first start) in seconds: one-second bins up to an hour, one-minute bins up to
 * three days, then one overflow bin. Quantiles return the bin's lower bound. Not thread-safe.
 */
final class WaitHistogram {
    private static final int SECOND_BINS = 3600;
    private static final int MINUTE_BINS = 72 * 60;
    private final long[] bins = new long[SECOND_BINS + MINUTE_BINS + 1];
    private long count;

    void record(double seconds) {
        int b;
        if (seconds < SECOND_BINS) {
            b = (int) Math.max(0, seconds);
        } else {
            b = SECOND_BINS + (int) Math.min(MINUTE_BINS, (seconds - SECOND_BINS) / 60);
        }
        bins[b]++;
        count++;
    }

    void add(WaitHistogram other) {
        for (int i = 0; i < bins.length; i++) {
            bins[i] += other.bins[i];
        }
        count += other.count;
    }

    long count() {
        return count;
    }

    /** The q-quantile (0..1) in seconds, NaN when empty. */
    double quantile(double q) {
        if (count == 0) {
            return Double.NaN;
        }
        long rank = (long) Math.ceil(q * count);
        long seen = 0;
        for (int i = 0; i < bins.length; i++) {
            seen += bins[i];
            if (seen >= rank && bins[i] > 0) {
                return i < SECOND_BINS ? i : SECOND_BINS + (i - SECOND_BINS) * 60.0;
            }
        }
        return SECOND_BINS + MINUTE_BINS * 60.0;
    }
}
