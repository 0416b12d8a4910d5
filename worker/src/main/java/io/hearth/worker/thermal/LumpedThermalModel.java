package io.hearth.worker.thermal;

import io.hearth.worker.Check;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Shared machinery of the one-node (1R1C) models: a single heat capacity C exchanging heat with
 * sinks through conductances, heated by the compute. Between steps the sinks are held constant,
 * which makes the exponential solution exact and stable for any step; steps are at most
 * {@link #MAX_STEP_SECONDS} of simulated time so the outdoor temperature can follow the day.
 *
 * <p>Simulated time runs {@code timeScale} times faster than the instants passed to
 * {@link #advance}, starting at {@code simulatedStart} (or at the first instant seen).
 *
 * <p>Threading: all methods synchronise on the model.
 */
public abstract class LumpedThermalModel implements ThermostatSource {
  static final double MAX_STEP_SECONDS = 600;
  private static final int MAX_STEPS = 10_000;

  private final double capacityJPerK;
  private final double setpointC;
  private final double maxWatts;
  private final double timeScale;
  private final Instant simulatedStart;

  private double temperatureC;
  private Instant lastReal;
  private Instant simNow;
  private double degreeHoursBelow;
  private double degreeHoursAbove;

  LumpedThermalModel(double capacityJPerK, double setpointC, double initialC, double maxWatts,
      double timeScale, Instant simulatedStart) {
    this.capacityJPerK = Check.positive("capacity", capacityJPerK, 1e12);
    this.setpointC = Check.doubleIn("setpoint", setpointC, -20, 100);
    this.temperatureC = Check.doubleIn("initialTemperature", initialC, -50, 100);
    this.maxWatts = Check.doubleIn("maxWatts", maxWatts, 0, 1e6);
    this.timeScale = Check.positive("timeScale", timeScale, 1e7);
    this.simulatedStart = simulatedStart;
  }

  /** Total conductance to the sinks at simulated time {@code t}, W/K. */
  abstract double conductance(Instant t);

  /** Conductance-weighted mean sink temperature at simulated time {@code t}, degrees Celsius. */
  abstract double sinkTemperature(Instant t);

  /** Heat demand in watts before clamping, given the state. */
  abstract double rawDemand(Instant t, double temperatureC, double setpointC);

  abstract double outdoor(Instant t);

  /** Heat the model gets besides the compute at simulated time {@code t} (sun, occupants), W. */
  double gainsWatts(Instant t) {
    return 0;
  }

  @Override
  public final synchronized ThermostatReading advance(Instant now, double computeWatts) {
    Objects.requireNonNull(now, "now");
    if (lastReal == null) {
      lastReal = now;
      simNow = simulatedStart != null ? simulatedStart : now;
      return current();
    }
    if (!now.isAfter(lastReal)) {
      return current();
    }
    double realSeconds = Duration.between(lastReal, now).toNanos() / 1e9;
    lastReal = now;
    double simSeconds = realSeconds * timeScale;
    int steps = (int) Math.min(MAX_STEPS, Math.ceil(simSeconds / MAX_STEP_SECONDS));
    double h = simSeconds / steps;
    double p = Math.max(0, computeWatts);
    for (int i = 0; i < steps; i++) {
      Instant mid = simNow.plusNanos((long) (h * 5e8));
      double g = conductance(mid);
      double equilibrium = sinkTemperature(mid) + (p + gainsWatts(mid)) / g;
      temperatureC = equilibrium + (temperatureC - equilibrium) * Math.exp(-g * h / capacityJPerK);
      simNow = simNow.plusNanos((long) (h * 1e9));
      double hours = h / 3600;
      if (temperatureC < setpointC - 1) {
        degreeHoursBelow += (setpointC - 1 - temperatureC) * hours;
      } else if (temperatureC > setpointC + 1) {
        degreeHoursAbove += (temperatureC - setpointC - 1) * hours;
      }
    }
    return current();
  }

  @Override
  public final synchronized ThermostatReading current() {
    Instant t = simNow != null ? simNow : (simulatedStart != null ? simulatedStart : Instant.now());
    double out = outdoor(t);
    double demand = temperatureC > setpointC ? 0 : Math.min(maxWatts, Math.max(0, rawDemand(t, temperatureC, setpointC)));
    return new ThermostatReading(demand, temperatureC, setpointC, out);
  }

  /**
   * Mean power wanted over the horizon: to hold the setpoint (from the outdoor forecast, sampled
   * hourly, less the expected gains) plus to bring the mass from its temperature now back to the
   * setpoint within the horizon, {@code C max(0, setpoint - T) / horizon}; clipped to 0..maxWatts.
   */
  @Override
  public final synchronized double forecastDemandWatts(Duration horizon) {
    Instant t = simNow != null ? simNow : (simulatedStart != null ? simulatedStart : Instant.now());
    double seconds = Math.max(1, horizon.toNanos() / 1e9);
    int samples = (int) Math.max(1, Math.min(48, horizon.toHours()));
    double hold = 0;
    for (int i = 0; i < samples; i++) {
      Instant at = t.plus(horizon.multipliedBy(i).dividedBy(samples));
      hold += Math.min(maxWatts, Math.max(0, rawDemand(at, setpointC, setpointC))) - gainsWatts(at);
    }
    hold /= samples;
    double recover = capacityJPerK * Math.max(0, setpointC - temperatureC) / seconds;
    return Math.max(0, Math.min(maxWatts, hold + recover));
  }

  /** Simulated time of the model (null before the first {@link #advance}). */
  public synchronized Instant simulatedNow() {
    return simNow;
  }

  public synchronized double temperatureC() {
    return temperatureC;
  }

  /** Degree-hours spent more than 1 K below setpoint (simulated time). */
  public synchronized double degreeHoursBelowComfort() {
    return degreeHoursBelow;
  }

  /** Degree-hours spent more than 1 K above setpoint (simulated time). */
  public synchronized double degreeHoursAboveComfort() {
    return degreeHoursAbove;
  }

  public double setpointC() {
    return setpointC;
  }

  public double timeScale() {
    return timeScale;
  }
}
