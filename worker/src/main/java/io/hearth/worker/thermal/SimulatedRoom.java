package io.hearth.worker.thermal;

import io.hearth.worker.Check;
import java.time.Instant;
import java.util.Objects;

/**
 * A heated room as one thermal mass (1R1C): {@code C dT/dt = P_compute + P_gains - UA (T - T_out)},
 * with the gains of {@link RoomGains} (none by default). The
 * thermostat asks for what the room loses at setpoint plus a proportional correction,
 * {@code demand = clamp(UA (setpoint - T_out) + Kp (setpoint - T), 0, maxWatts)}, and for nothing
 * when the room is above its setpoint. Defaults follow DESIGN.md: UA 30 W/K, C 3.3 MJ/K (a time
 * constant of about 30 h), setpoint 19.5 C.
 *
 * <p>Threading: see {@link LumpedThermalModel}.
 */
public final class SimulatedRoom extends LumpedThermalModel {
  public static final double DEFAULT_UA_W_PER_K = 30;
  public static final double DEFAULT_CAPACITY_J_PER_K = 3.3e6;
  public static final double DEFAULT_SETPOINT_C = 19.5;
  public static final double DEFAULT_KP_W_PER_K = 200;
  public static final double DEFAULT_MAX_WATTS = 600;

  private final double ua;
  private final double kp;
  private final OutdoorTemperature outdoor;
  private final RoomGains gains;

  private SimulatedRoom(Builder b) {
    super(b.capacity, b.setpoint, Double.isNaN(b.initial) ? b.setpoint : b.initial, b.maxWatts,
        b.timeScale, b.simulatedStart);
    this.ua = b.ua;
    this.kp = b.kp;
    this.outdoor = b.outdoor;
    this.gains = b.gains;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  double conductance(Instant t) {
    return ua;
  }

  @Override
  double sinkTemperature(Instant t) {
    return outdoor.at(t);
  }

  @Override
  double rawDemand(Instant t, double temperatureC, double setpointC) {
    return ua * (setpointC - outdoor.at(t)) + kp * (setpointC - temperatureC);
  }

  @Override
  double outdoor(Instant t) {
    return outdoor.at(t);
  }

  @Override
  double gainsWatts(Instant t) {
    return gains.watts(t);
  }

  public double ua() {
    return ua;
  }

  /** Builder; every setting has a default. */
  public static final class Builder {
    private double ua = DEFAULT_UA_W_PER_K;
    private double capacity = DEFAULT_CAPACITY_J_PER_K;
    private double setpoint = DEFAULT_SETPOINT_C;
    private double initial = Double.NaN;
    private double kp = DEFAULT_KP_W_PER_K;
    private double maxWatts = DEFAULT_MAX_WATTS;
    private double timeScale = 1;
    private Instant simulatedStart;
    private OutdoorTemperature outdoor = OutdoorTemperature.constant(5);
    private RoomGains gains = RoomGains.none();

    private Builder() {}

    /** Heat loss coefficient, W/K (typical 15-60). */
    public Builder ua(double wattsPerKelvin) {
      this.ua = Check.positive("ua", wattsPerKelvin, 10_000);
      return this;
    }

    /** Effective thermal mass, J/K (typical 3.3e6). */
    public Builder capacity(double joulesPerKelvin) {
      this.capacity = Check.positive("capacity", joulesPerKelvin, 1e12);
      return this;
    }

    public Builder setpoint(double celsius) {
      this.setpoint = Check.doubleIn("setpoint", celsius, 5, 35);
      return this;
    }

    /** Room temperature at the start; defaults to the setpoint. */
    public Builder initialTemperature(double celsius) {
      this.initial = Check.doubleIn("initialTemperature", celsius, -50, 60);
      return this;
    }

    /** Proportional gain of the thermostat, W/K. */
    public Builder kp(double wattsPerKelvin) {
      this.kp = Check.doubleIn("kp", wattsPerKelvin, 0, 1e5);
      return this;
    }

    /** Demand is capped at the heater's full power. */
    public Builder maxWatts(double watts) {
      this.maxWatts = Check.doubleIn("maxWatts", watts, 0, 1e6);
      return this;
    }

    /** Simulated seconds per real second (default 1). */
    public Builder timeScale(double factor) {
      this.timeScale = Check.positive("timeScale", factor, 1e7);
      return this;
    }

    /** Simulated instant of the first reading; defaults to the first real instant seen. */
    public Builder simulatedStart(Instant start) {
      this.simulatedStart = start;
      return this;
    }

    public Builder outdoor(OutdoorTemperature outdoor) {
      this.outdoor = Objects.requireNonNull(outdoor, "outdoor");
      return this;
    }

    /** Sun and internal gains (default none). */
    public Builder gains(RoomGains gains) {
      this.gains = Objects.requireNonNull(gains, "gains");
      return this;
    }

    public SimulatedRoom build() {
      return new SimulatedRoom(this);
    }
  }
}
