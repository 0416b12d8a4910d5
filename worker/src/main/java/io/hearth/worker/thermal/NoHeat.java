package io.hearth.worker.thermal;

import java.time.Instant;
import java.util.Objects;

/**
 * A data-center machine: its heat is wanted by nobody, so demand is always 0. The inside
 * temperature reported is the data hall's (a constant), the setpoint the same.
 */
public final class NoHeat implements ThermostatSource {
  /** Typical cold-aisle temperature, degrees Celsius. */
  public static final double HALL_TEMPERATURE_C = 24.0;

  private final OutdoorTemperature outdoor;
  private Instant last = Instant.EPOCH;

  public NoHeat(OutdoorTemperature outdoor) {
    this.outdoor = Objects.requireNonNull(outdoor, "outdoor");
  }

  @Override
  public synchronized ThermostatReading advance(Instant now, double computeWatts) {
    if (now.isAfter(last)) {
      last = now;
    }
    return current();
  }

  @Override
  public synchronized ThermostatReading current() {
    return new ThermostatReading(0, HALL_TEMPERATURE_C, HALL_TEMPERATURE_C, outdoor.at(last));
  }
}
