package io.hearth.worker.thermal;

import java.time.Instant;

/**
 * The heat side of a node: a room, a tank, or nothing. The agent calls {@link #advance} on each
 * telemetry tick and whenever its compute draw changes, passing the draw that was in effect since
 * the previous call.
 *
 * <p>Implementations are called from one agent at a time but synchronise anyway, so a reading may
 * be taken from a test thread.
 */
public interface ThermostatSource {

  /**
   * Moves the model to {@code now}, assuming {@code computeWatts} of compute heat was delivered
   * since the previous call, and returns the reading at {@code now}. A {@code now} earlier than the
   * previous call does not move the model.
   */
  ThermostatReading advance(Instant now, double computeWatts);

  /** The reading at the model's current time, without advancing it. */
  ThermostatReading current();

  /**
   * Mean heat the room or tank is forecast to want over {@code horizon} of simulated time from now, in
   * watts: to hold its setpoint (from the outdoor forecast, less expected gains) plus to recover the
   * setpoint from its temperature now within the horizon. The current demand by default.
   */
  default double forecastDemandWatts(java.time.Duration horizon) {
    return current().demandWatts();
  }
}
