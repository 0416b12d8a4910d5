package io.hearth.benchmarks.season;

import io.hearth.worker.thermal.OutdoorTemperature;
import io.hearth.worker.thermal.RoomGains;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.SplittableRandom;

/**
 * The simulated calendar and weather, one entry per time step, shared read-only by every policy run.
 *
 * <p>Outdoor temperature mirrors the worker's {@code OutdoorTemperature.parisNormals()}: the Paris
 * monthly normals of DESIGN.md interpolated between mid-month values, plus a daily sinusoid of +-4 K
 * peaking at 15:00 local time; on top of that a seeded day-to-day anomaly (AR(1) over days, standard
 * deviation {@value #ANOMALY_SD_K} K, day-to-day correlation {@value #ANOMALY_PERSISTENCE}),
 * interpolated between days. Local time is Europe/Paris (summer time included). Immutable after
 * construction; safe to share between threads.
 */
final class Climate {
    static final ZoneId PARIS = ZoneId.of("Europe/Paris");
    private static final OutdoorTemperature NORMALS = OutdoorTemperature.parisNormals();
    /** The simulated year starts here (a Thursday); 2026 is not a leap year. */
    static final LocalDateTime START = LocalDateTime.of(2026, 1, 1, 0, 0);
    /** The worker's daily swing around the monthly normals, K (OutdoorTemperature.parisNormals). */
    static final double DAILY_AMPLITUDE_K = OutdoorTemperature.ParisNormals.DAILY_AMPLITUDE_K;
    static final double ANOMALY_SD_K = 3.0;
    static final double ANOMALY_PERSISTENCE = 0.7;
    /** Night setback hours, local: from 23:00 to 06:00. */
    static final int SETBACK_FROM_HOUR = 23;
    static final int SETBACK_TO_HOUR = 6;

    final int steps;
    final double stepSeconds;
    /** Outdoor temperature at the middle of each step, C. */
    final double[] outdoorC;
    /** Local month 0..11, hour 0..23, day of week 1 (Mon)..7 (Sun) at the start of each step. */
    final byte[] month;
    final byte[] hour;
    final byte[] dayOfWeek;
    /** Internal gains of a room of scale 1 during the step (local hour at its start), W: RoomGains.internalWatts. */
    final double[] internalWatts;
    /** Global horizontal irradiance in Paris at the middle of each step, W/m2: RoomGains.parisIrradiance. */
    final double[] irradiance;
    /** Whether rooms with a night setback are set back during the step. */
    final boolean[] setback;
    /** Heating degree-days (base 18 C) of the simulated period, from the step temperatures. */
    final double heatingDegreeDays;
    final int days;

    Climate(int days, int stepMinutes, long seed) {
        this.days = days;
        this.stepSeconds = stepMinutes * 60.0;
        this.steps = days * 24 * 60 / stepMinutes;
        outdoorC = new double[steps];
        month = new byte[steps];
        hour = new byte[steps];
        dayOfWeek = new byte[steps];
        setback = new boolean[steps];
        internalWatts = new double[steps];
        irradiance = new double[steps];
        SplittableRandom rnd = Rng.stream(seed, "weather");
        double[] anomaly = new double[days + 2];
        double a = ANOMALY_SD_K * Rng.gaussian(rnd);
        double innovation = ANOMALY_SD_K * Math.sqrt(1 - ANOMALY_PERSISTENCE * ANOMALY_PERSISTENCE);
        for (int d = 0; d < anomaly.length; d++) {
            anomaly[d] = a;
            a = ANOMALY_PERSISTENCE * a + innovation * Rng.gaussian(rnd);
        }
        Instant start = START.atZone(PARIS).toInstant();
        double hdd = 0;
        for (int s = 0; s < steps; s++) {
            double t = s * stepSeconds;
            ZonedDateTime z = start.plusSeconds((long) t).atZone(PARIS);
            month[s] = (byte) (z.getMonthValue() - 1);
            hour[s] = (byte) z.getHour();
            dayOfWeek[s] = (byte) z.getDayOfWeek().getValue();
            setback[s] = z.getHour() >= SETBACK_FROM_HOUR || z.getHour() < SETBACK_TO_HOUR;
            double mid = t + stepSeconds / 2;
            ZonedDateTime m = start.plusSeconds((long) mid).atZone(PARIS);
            double dayPos = mid / 86_400 - 0.5;
            int d0 = (int) Math.floor(dayPos);
            double frac = dayPos - d0;
            double an = anomaly[Math.max(0, d0) + 0] * (1 - frac) + anomaly[Math.max(0, d0) + 1] * frac;
            if (d0 < 0) {
                an = anomaly[0];
            }
            outdoorC[s] = normal(m) + an;
            internalWatts[s] = RoomGains.internalWatts(hour[s]);
            irradiance[s] = RoomGains.parisIrradiance(m.toInstant());
            hdd += Math.max(0, 18 - outdoorC[s]) * stepSeconds / 86_400;
        }
        heatingDegreeDays = hdd;
    }

    /** The Paris normals with their daily cycle, exactly as the worker's thermostats see them. */
    static double normal(ZonedDateTime t) {
        return NORMALS.at(t.toInstant());
    }

    boolean weekday(int step) {
        return dayOfWeek[step] <= DayOfWeek.FRIDAY.getValue();
    }

    int stepsPerHour() {
        return (int) Math.round(3600 / stepSeconds);
    }
}
