package io.hearth.worker.thermal;

import io.hearth.worker.Check;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Objects;

/**
 * A domestic hot-water tank as one thermal mass: standing losses to its plant room plus hot water
 * drawn and replaced by cold mains water, following a daily profile (morning and evening peaks).
 * The thermostat asks for losses plus the mean draw at setpoint plus a proportional correction, so
 * demand exists all year; nothing when the tank is above setpoint. Defaults: 200 L, setpoint
 * 55 C, 2 W/K standing loss, 150 L drawn a day, cold water at 12 C.
 *
 * <p>Threading: see {@link LumpedThermalModel}.
 */
public final class SimulatedTank extends LumpedThermalModel {
  public static final double WATER_J_PER_LITRE_K = 4186;
  public static final double DEFAULT_VOLUME_LITRES = 200;
  public static final double DEFAULT_SETPOINT_C = 55;
  public static final double DEFAULT_LOSS_W_PER_K = 2;
  public static final double DEFAULT_DAILY_DRAW_LITRES = 150;
  public static final double DEFAULT_COLD_WATER_C = 12;
  public static final double DEFAULT_AMBIENT_C = 18;
  public static final double DEFAULT_KP_W_PER_K = 100;
  /** Share of the daily draw in each local hour, summing to 1: peaks 6-9 h and 18-22 h. */
  static final double[] HOURLY_DRAW_SHARE = normalise(new double[] {
      0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 2.0, 3.0, 2.0, 1.0, 0.6, 0.6,
      0.8, 0.6, 0.5, 0.5, 0.6, 1.0, 2.0, 2.5, 2.5, 1.5, 0.8, 0.4});
  private static final ZoneId LOCAL = ZoneId.of("Europe/Paris");

  private final double lossWPerK;
  private final double dailyDrawLitres;
  private final double coldWaterC;
  private final double ambientC;
  private final double kp;
  private final OutdoorTemperature outdoor;

  private SimulatedTank(Builder b) {
    super(b.volume * WATER_J_PER_LITRE_K, b.setpoint, Double.isNaN(b.initial) ? b.setpoint : b.initial,
        b.maxWatts, b.timeScale, b.simulatedStart);
    this.lossWPerK = b.loss;
    this.dailyDrawLitres = b.dailyDraw;
    this.coldWaterC = b.cold;
    this.ambientC = b.ambient;
    this.kp = b.kp;
    this.outdoor = b.outdoor;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Conductance of the draw: litres per second times water's heat capacity, W/K. */
  private double drawConductance(Instant t) {
    int hour = t.atZone(LOCAL).getHour();
    double litresPerSecond = dailyDrawLitres * HOURLY_DRAW_SHARE[hour] / 3600;
    return litresPerSecond * WATER_J_PER_LITRE_K;
  }

  @Override
  double conductance(Instant t) {
    return lossWPerK + drawConductance(t);
  }

  @Override
  double sinkTemperature(Instant t) {
    double gd = drawConductance(t);
    return (lossWPerK * ambientC + gd * coldWaterC) / (lossWPerK + gd);
  }

  @Override
  double rawDemand(Instant t, double temperatureC, double setpointC) {
    double meanDraw = dailyDrawLitres / 86_400 * WATER_J_PER_LITRE_K * (setpointC - coldWaterC);
    return lossWPerK * (setpointC - ambientC) + meanDraw + kp * (setpointC - temperatureC);
  }

  @Override
  double outdoor(Instant t) {
    return outdoor.at(t);
  }

  /** Share of a day's hot-water draw in local hour {@code hour} (0-23); the 24 shares sum to 1. */
  public static double hourlyDrawShare(int hour) {
    return HOURLY_DRAW_SHARE[hour];
  }

  private static double[] normalise(double[] w) {
    double sum = 0;
    for (double v : w) {
      sum += v;
    }
    double[] out = new double[w.length];
    for (int i = 0; i < w.length; i++) {
      out[i] = w[i] / sum;
    }
    return out;
  }

  /** Builder; every setting has a default. */
  public static final class Builder {
    private double volume = DEFAULT_VOLUME_LITRES;
    private double setpoint = DEFAULT_SETPOINT_C;
    private double initial = Double.NaN;
    private double loss = DEFAULT_LOSS_W_PER_K;
    private double dailyDraw = DEFAULT_DAILY_DRAW_LITRES;
    private double cold = DEFAULT_COLD_WATER_C;
    private double ambient = DEFAULT_AMBIENT_C;
    private double kp = DEFAULT_KP_W_PER_K;
    private double maxWatts = SimulatedRoom.DEFAULT_MAX_WATTS;
    private double timeScale = 1;
    private Instant simulatedStart;
    private OutdoorTemperature outdoor = OutdoorTemperature.constant(15);

    private Builder() {}

    public Builder volumeLitres(double litres) {
      this.volume = Check.positive("volumeLitres", litres, 100_000);
      return this;
    }

    public Builder setpoint(double celsius) {
      this.setpoint = Check.doubleIn("setpoint", celsius, 30, 95);
      return this;
    }

    public Builder initialTemperature(double celsius) {
      this.initial = Check.doubleIn("initialTemperature", celsius, 0, 100);
      return this;
    }

    /** Standing loss, W/K. */
    public Builder lossWattsPerKelvin(double wattsPerKelvin) {
      this.loss = Check.positive("lossWattsPerKelvin", wattsPerKelvin, 1_000);
      return this;
    }

    public Builder dailyDrawLitres(double litres) {
      this.dailyDraw = Check.doubleIn("dailyDrawLitres", litres, 0, 100_000);
      return this;
    }

    public Builder coldWater(double celsius) {
      this.cold = Check.doubleIn("coldWater", celsius, 0, 40);
      return this;
    }

    /** Temperature of the room the tank stands in. */
    public Builder ambient(double celsius) {
      this.ambient = Check.doubleIn("ambient", celsius, -30, 50);
      return this;
    }

    public Builder kp(double wattsPerKelvin) {
      this.kp = Check.doubleIn("kp", wattsPerKelvin, 0, 1e5);
      return this;
    }

    public Builder maxWatts(double watts) {
      this.maxWatts = Check.doubleIn("maxWatts", watts, 0, 1e6);
      return this;
    }

    public Builder timeScale(double factor) {
      this.timeScale = Check.positive("timeScale", factor, 1e7);
      return this;
    }

    public Builder simulatedStart(Instant start) {
      this.simulatedStart = start;
      return this;
    }

    /** Only reported; the tank's losses go to its plant room. */
    public Builder outdoor(OutdoorTemperature outdoor) {
      this.outdoor = Objects.requireNonNull(outdoor, "outdoor");
      return this;
    }

    public SimulatedTank build() {
      return new SimulatedTank(this);
    }
  }
}
