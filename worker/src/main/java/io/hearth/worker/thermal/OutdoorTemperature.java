package io.hearth.worker.thermal;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;

/** Outdoor temperature as a function of (simulated) time, degrees Celsius. Thread-safe. */
@FunctionalInterface
public interface OutdoorTemperature {

  double at(Instant time);

  /** The same temperature at every instant, e.g. 25 C for summer tests, 5 C for winter. */
  static OutdoorTemperature constant(double celsius) {
    return new OutdoorTemperature() {
      @Override
      public double at(Instant time) {
        return celsius;
      }

      @Override
      public String toString() {
        return "constant " + celsius + " C";
      }
    };
  }

  /**
   * Paris climate normals (approximate 1991-2020 monthly means), interpolated between mid-month
   * values, plus a daily sinusoid of +-4 K peaking at 15:00 local time.
   */
  static OutdoorTemperature parisNormals() {
    return ParisNormals.INSTANCE;
  }

  /** Implementation of {@link #parisNormals()}. */
  final class ParisNormals implements OutdoorTemperature {
    static final ParisNormals INSTANCE = new ParisNormals();
    /** Monthly means January..December, degrees Celsius (from DESIGN.md). */
    static final double[] MONTHLY_MEAN_C = {5.4, 6.2, 9.2, 12.0, 15.6, 18.8, 21.0, 20.8, 17.1, 13.1, 8.6, 5.9};
    public static final double DAILY_AMPLITUDE_K = 4.0;
    static final ZoneId PARIS = ZoneId.of("Europe/Paris");

    private ParisNormals() {}

    @Override
    public double at(Instant time) {
      ZonedDateTime t = time.atZone(PARIS);
      // Position in the year in months, 0.5 = middle of January, where the January mean applies.
      double month = t.getMonthValue() - 1
          + (t.getDayOfMonth() - 1 + t.getHour() / 24.0) / t.toLocalDate().lengthOfMonth();
      double pos = month - 0.5;
      int i = (int) Math.floor(pos);
      double frac = pos - i;
      double a = MONTHLY_MEAN_C[Math.floorMod(i, 12)];
      double b = MONTHLY_MEAN_C[Math.floorMod(i + 1, 12)];
      double mean = a + (b - a) * frac;
      double hour = t.getHour() + t.getMinute() / 60.0 + t.getSecond() / 3600.0;
      return mean + DAILY_AMPLITUDE_K * Math.cos(2 * Math.PI * (hour - 15.0) / 24.0);
    }

    @Override
    public String toString() {
      return "Paris normals";
    }
  }
}
