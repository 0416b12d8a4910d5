package io.hearth.worker.thermal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SimulatedTankTest {
  private static final Instant SUMMER_NOON = Instant.parse("2025-07-15T10:00:00Z");

  @Test
  void wantsHeatInSummer() {
    SimulatedTank tank = SimulatedTank.builder().outdoor(OutdoorTemperature.constant(25)).build();
    ThermostatReading r = tank.advance(SUMMER_NOON, 0);
    assertThat(r.demandWatts()).isGreaterThan(100);
    assertThat(r.insideC()).isEqualTo(SimulatedTank.DEFAULT_SETPOINT_C);
    assertThat(r.outdoorC()).isEqualTo(25.0);
  }

  @Test
  void coolsWithDrawsAndLossesAndWantsMoreThen() {
    SimulatedTank tank = SimulatedTank.builder().outdoor(OutdoorTemperature.constant(25)).build();
    double atSetpoint = tank.advance(SUMMER_NOON, 0).demandWatts();
    ThermostatReading later = tank.advance(SUMMER_NOON.plus(Duration.ofHours(12)), 0);
    assertThat(later.insideC()).isLessThan(SimulatedTank.DEFAULT_SETPOINT_C - 1);
    assertThat(later.demandWatts()).isGreaterThan(atSetpoint);
  }

  @Test
  void computeHeatsTheTank() {
    SimulatedTank tank = SimulatedTank.builder().initialTemperature(40).dailyDrawLitres(0).build();
    tank.advance(SUMMER_NOON, 0);
    double t = tank.advance(SUMMER_NOON.plus(Duration.ofHours(1)), 600).insideC();
    // 600 W for an hour into 200 L, less about 2 W/K x 23 K of standing loss: about 2.4 K.
    assertThat(t).isCloseTo(40 + (600 - 2 * 23.2) * 3600 / (200 * 4186.0), within(0.02));
  }

  @Test
  void forecastsItsLossesAndMeanDrawPlusTheHeatToRecoverItsSetpoint() {
    SimulatedTank full = SimulatedTank.builder().build();
    SimulatedTank cool = SimulatedTank.builder().initialTemperature(52).build();
    full.advance(SUMMER_NOON, 0);
    cool.advance(SUMMER_NOON, 0);
    Duration window = Duration.ofHours(4);
    // Standing loss 2 W/K x (55 - 18) K plus 150 L a day heated from 12 C to 55 C.
    double hold = 2 * 37 + 150 / 86_400.0 * 4186 * 43;
    assertThat(full.forecastDemandWatts(window)).isCloseTo(hold, within(1e-6));
    // 200 L brought up 3 K within 4 h.
    assertThat(cool.forecastDemandWatts(window)).isCloseTo(hold + 200 * 4186 * 3 / 14_400.0, within(1e-6));
  }

  @Test
  void hourlyDrawSharesSumToOne() {
    double sum = 0;
    for (double s : SimulatedTank.HOURLY_DRAW_SHARE) {
      sum += s;
    }
    assertThat(sum).isCloseTo(1.0, within(1e-12));
  }
}
