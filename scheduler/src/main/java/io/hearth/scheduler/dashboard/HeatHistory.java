package io.hearth.scheduler.dashboard;

import io.vertx.core.json.JsonArray;

/**
 * A bounded ring of fleet heat samples for the dashboard's chart: one point per
 * {@link #RESOLUTION_MILLIS} at most, the last {@link #CAPACITY} points (6 hours). Each point is
 * {@code [epoch seconds, heat wanted W, heat delivered W, compute draw W]}, rounded to whole
 * numbers. Not thread-safe: its owner ({@link LiveFeed}) serializes access.
 */
final class HeatHistory {

  static final long RESOLUTION_MILLIS = 10_000;
  static final int CAPACITY = 6 * 360;

  private final long[][] points = new long[CAPACITY][];
  private int next;
  private int size;
  private long lastMillis = Long.MIN_VALUE / 2;

  /** Records a sample unless the last one is more recent than the resolution; returns the point or null. */
  long[] offer(long atMillis, double wanted, double delivered, double draw) {
    if (atMillis - lastMillis < RESOLUTION_MILLIS) {
      return null;
    }
    lastMillis = atMillis;
    long[] p = {atMillis / 1000, Math.round(wanted), Math.round(delivered), Math.round(draw)};
    points[next] = p;
    next = (next + 1) % CAPACITY;
    size = Math.min(CAPACITY, size + 1);
    return p;
  }

  int size() {
    return size;
  }

  /** Every point, oldest first. */
  JsonArray toJson() {
    JsonArray out = new JsonArray();
    for (int i = 0; i < size; i++) {
      out.add(point(points[(next - size + i + CAPACITY) % CAPACITY]));
    }
    return out;
  }

  static JsonArray point(long[] p) {
    return new JsonArray().add(p[0]).add(p[1]).add(p[2]).add(p[3]);
  }
}
