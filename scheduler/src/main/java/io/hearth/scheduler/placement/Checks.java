package io.hearth.scheduler.placement;

/** Argument checks with the one message shape {@code cores: 0 (expected: 1..1024)}. Stateless. */
final class Checks {
    private Checks() {}

    static int inRange(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: " + min + ".." + max + ")");
        }
        return value;
    }

    static long inRange(String name, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: " + min + ".." + max + ")");
        }
        return value;
    }

    /** A finite number {@code >= 0}. */
    static double nonNegative(String name, double value) {
        if (!(value >= 0) || value == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: >= 0 and finite)");
        }
        return value;
    }

    /** A finite number {@code > 0}. */
    static double positive(String name, double value) {
        if (!(value > 0) || value == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: > 0 and finite)");
        }
        return value;
    }

    static String notBlank(String name, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + ": " + (value == null ? "null" : '"' + value + '"')
                    + " (expected: non-blank)");
        }
        return value;
    }

    static <T> T notNull(String name, T value) {
        if (value == null) {
            throw new IllegalArgumentException(name + ": null (expected: non-null)");
        }
        return value;
    }
}
