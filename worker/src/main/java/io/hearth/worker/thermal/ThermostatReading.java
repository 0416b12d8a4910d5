package io.hearth.worker.thermal;

/**
 * What a thermostat says at one instant.
 *
 * @param demandWatts heat the room or tank wants now, in watts (0 when warm)
 * @param insideC room or tank temperature, degrees Celsius
 * @param setpointC thermostat setpoint, degrees Celsius
 * @param outdoorC outdoor temperature, degrees Celsius
 */
public record ThermostatReading(double demandWatts, double insideC, double setpointC, double outdoorC) {}
