package io.hearth.worker.thermal;

import io.hearth.worker.Check;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

/**
 * Heat a room gets besides its heater, in watts: internal gains (occupants, cooking, appliances) on a
 * daily profile in local time, scaled per room, plus sun through the windows, an effective aperture
 * (glazing area times transmittance times orientation and shading, m2) times the global horizontal
 * irradiance of Paris. Both add to the room's heat balance as compute power does; the thermostat
 * sees them only through the room temperature.
 *
 * <p>Irradiance: the month's mean daily global horizontal irradiation in Paris spread over the day as
 * a half sinusoid between sunrise and sunset (day length from the solar declination at 48.86 N, solar
 * noon at 11:51 UTC for 2.35 E, the equation of time ignored), so each day receives exactly the
 * month's mean; no clouds day to day.
 *
 * <p>Immutable and thread-safe.
 */
public final class RoomGains {
  /**
   * Mean daily global horizontal irradiation in Paris, January..December, kWh/m2/day: approximate
   * long-term means of the order PVGIS (SARAH-2, 48.86 N 2.35 E) and Meteo-France's Paris-Montsouris
   * normals give, about 1,150 kWh/m2 a year, rounded.
   */
  static final double[] PARIS_DAILY_IRRADIATION_KWH_PER_M2 =
      {0.95, 1.7, 2.9, 4.2, 5.0, 5.5, 5.5, 4.7, 3.5, 2.1, 1.1, 0.8};
  /**
   * Internal gains of a typical occupied room per local hour, W (a room of scale 1): about 100 W at
   * night (people asleep, fridge, standby), a morning peak, less by day, an evening peak for cooking,
   * lights and screens.
   */
  static final double[] INTERNAL_WATTS_BY_HOUR = {
      100, 100, 100, 100, 100, 100, 130, 180, 160, 110, 110, 110,
      120, 110, 110, 110, 130, 160, 220, 280, 280, 240, 180, 130};
  /**
   * Bounds of a room's mean internal gains in kelvin of its own losses (gains / UA): the profile of
   * {@link #INTERNAL_WATTS_BY_HOUR} is scaled so that a room's daily mean is 1-2 K of its loss
   * coefficient. One radiator heats one room of a dwelling, which gets its share of the dwelling's
   * gains, not a dwelling's worth; 1-2 K is what the base 18 C of French heating degree-days (DJU)
   * implies against 19-20 C setpoints. With these and the solar gains below, a room's heat balance
   * point is about 15-16 C and heating runs from October to mid-May, as DESIGN.md's season.
   */
  public static final double MIN_INTERNAL_K = 1.0;
  public static final double MAX_INTERNAL_K = 2.0;
  /**
   * Bounds of the seeded effective solar aperture, m2: a room's 1.5-3 m2 of glazing times a solar
   * factor of about 0.6 times an orientation and shading factor of 0.2-0.6 on the horizontal
   * irradiance.
   */
  public static final double MIN_APERTURE_M2 = 0.2;
  public static final double MAX_APERTURE_M2 = 1.0;
  static final double LATITUDE_RAD = Math.toRadians(48.86);
  /** Solar noon in UTC hours at 2.35 E. */
  static final double SOLAR_NOON_UTC_H = 12 - 2.35 / 15;
  private static final ZoneId PARIS = ZoneId.of("Europe/Paris");
  private static final RoomGains NONE = new RoomGains(0, 0);

  private final double internalScale;
  private final double apertureM2;

  private RoomGains(double internalScale, double apertureM2) {
    this.internalScale = internalScale;
    this.apertureM2 = apertureM2;
  }

  /** No gains: the heater and the backup heating are the room's only heat. */
  public static RoomGains none() {
    return NONE;
  }

  /** A room with {@code internalScale} times the typical internal gains and {@code apertureM2} of sun. */
  public static RoomGains of(double internalScale, double apertureM2) {
    return new RoomGains(Check.doubleIn("internalScale", internalScale, 0, 100),
        Check.doubleIn("apertureM2", apertureM2, 0, 1_000));
  }

  /**
   * A typical room of loss coefficient {@code uaWattsPerK} from two uniform draws in [0, 1): its
   * internal gains worth 1-2 K of its losses on average, and its solar aperture.
   */
  public static RoomGains typical(double uaWattsPerK, double u1, double u2) {
    double kelvin = MIN_INTERNAL_K + (MAX_INTERNAL_K - MIN_INTERNAL_K) * u1;
    return of(Check.positive("ua", uaWattsPerK, 1e6) * kelvin / meanInternalWatts(),
        MIN_APERTURE_M2 + (MAX_APERTURE_M2 - MIN_APERTURE_M2) * u2);
  }

  /** Gains at instant {@code t}, W. */
  public double watts(Instant t) {
    if (internalScale == 0 && apertureM2 == 0) {
      return 0;
    }
    return internalScale * internalWatts(t.atZone(PARIS).getHour()) + apertureM2 * parisIrradiance(t);
  }

  public double internalScale() {
    return internalScale;
  }

  public double apertureM2() {
    return apertureM2;
  }

  /** Internal gains of a room of scale 1 in local hour {@code hour} (0-23), W. */
  public static double internalWatts(int hour) {
    return INTERNAL_WATTS_BY_HOUR[hour];
  }

  /** Internal gains of a room of scale 1 averaged over the day, W. */
  public static double meanInternalWatts() {
    double sum = 0;
    for (double w : INTERNAL_WATTS_BY_HOUR) {
      sum += w;
    }
    return sum / INTERNAL_WATTS_BY_HOUR.length;
  }

  /** The monthly mean daily irradiations, January..December, kWh/m2/day, as "0.95, 1.7, ...". */
  public static String parisDailyIrradiationList() {
    StringBuilder b = new StringBuilder();
    for (double v : PARIS_DAILY_IRRADIATION_KWH_PER_M2) {
      b.append(b.length() > 0 ? ", " : "").append(v);
    }
    return b.toString();
  }

  /** Global horizontal irradiance in Paris at {@code t} (see the class comment), W/m2. */
  public static double parisIrradiance(Instant t) {
    ZonedDateTime utc = t.atZone(ZoneOffset.UTC);
    double dailyWhPerM2 = 1000 * PARIS_DAILY_IRRADIATION_KWH_PER_M2[utc.getMonthValue() - 1];
    double declination = Math.toRadians(23.44) * Math.sin(2 * Math.PI * (284 + utc.getDayOfYear()) / 365.0);
    double cosHalfDay = -Math.tan(LATITUDE_RAD) * Math.tan(declination);
    double dayHours = 2 * Math.toDegrees(Math.acos(Math.max(-1, Math.min(1, cosHalfDay)))) / 15;
    double hour = utc.getHour() + utc.getMinute() / 60.0 + utc.getSecond() / 3600.0;
    double x = (hour - (SOLAR_NOON_UTC_H - dayHours / 2)) / dayHours;
    if (dayHours <= 0 || x <= 0 || x >= 1) {
      return 0;
    }
    // A half sinusoid over the day integrates to 2 L / pi hours at a peak of 1.
    return dailyWhPerM2 * Math.PI / (2 * dayHours) * Math.sin(Math.PI * x);
  }

  @Override
  public String toString() {
    return String.format(java.util.Locale.ROOT, "internal x%.2f, aperture %.2f m2", internalScale, apertureM2);
  }
}
