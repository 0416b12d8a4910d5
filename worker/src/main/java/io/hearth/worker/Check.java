package io.hearth.worker;

import java.time.Duration;

/**
 * Argument checks at the points where values enter the worker (builders, the command line), all
 * with one message shape: {@code cores: 0 (expected: 1..1024)}.
 */
public final class Check {
  private Check() {}

  public static int intIn(String name, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: " + min + ".." + max + ")");
    }
    return value;
  }

  public static long longIn(String name, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: " + min + ".." + max + ")");
    }
    return value;
  }

  /** A finite double in {@code [min, max]}. */
  public static double doubleIn(String name, double value, double min, double max) {
    if (!(value >= min && value <= max)) {
      throw new IllegalArgumentException(
          name + ": " + value + " (expected: " + fmt(min) + ".." + fmt(max) + ")");
    }
    return value;
  }

  /** A finite double in {@code (0, max]}. */
  public static double positive(String name, double value, double max) {
    if (!(value > 0 && value <= max)) {
      throw new IllegalArgumentException(
          name + ": " + value + " (expected: > 0 and <= " + fmt(max) + ")");
    }
    return value;
  }

  public static Duration durationIn(String name, Duration value, Duration min, Duration max) {
    if (value == null || value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          name + ": " + (value == null ? "null" : value.toMillis() + " ms")
              + " (expected: " + min.toMillis() + ".." + max.toMillis() + " ms)");
    }
    return value;
  }

  public static String text(String name, String value, int minLength, int maxLength) {
    if (value == null || value.length() < minLength || value.length() > maxLength) {
      throw new IllegalArgumentException(
          name + ": " + (value == null ? "null" : "\"" + value + "\"")
              + " (expected: " + minLength + ".." + maxLength + " characters)");
    }
    return value;
  }

  /** A node id: 1-128 characters of {@code [A-Za-z0-9._-]}, safe in a header and a file name. */
  public static String nodeId(String name, String value) {
    if (value == null || !value.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
      throw new IllegalArgumentException(
          name + ": " + (value == null ? "null" : "\"" + value + "\"")
              + " (expected: 1..128 characters of [A-Za-z0-9._-], starting with a letter or digit)");
    }
    return value;
  }

  static String fmt(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }
}
