package io.hearth.worker.thermal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SimulatedRoomTest {
  private static final Instant T0 = Instant.parse("2025-01-15T12:00:00Z");

  private static SimulatedRoom.Builder room(double outdoorC) {
    return SimulatedRoom.builder().ua(30).capacity(3.3e6).setpoint(20).maxWatts(600)
        .outdoor(OutdoorTemperature.constant(outdoorC));
  }

  @Test
  void startsAtSetpointAndAsksForItsLossesInWinter() {
    SimulatedRoom r = room(5).build();
    ThermostatReading reading = r.advance(T0, 0);
    assertThat(reading.insideC()).isEqualTo(20.0);
    assertThat(reading.setpointC()).isEqualTo(20.0);
    assertThat(reading.outdoorC()).isEqualTo(5.0);
    assertThat(reading.demandWatts()).isCloseTo(30 * 15, within(1e-9));
  }

  @Test
  void coolsTowardsOutdoorWithoutCompute() {
    SimulatedRoom r = room(5).build();
    r.advance(T0, 0);
    double afterADay = r.advance(T0.plus(Duration.ofDays(1)), 0).insideC();
    double afterTenDays = r.advance(T0.plus(Duration.ofDays(10)), 0).insideC();
    // Time constant C/UA = 110,000 s: one day leaves exp(-0.785) of the 15 K difference.
    assertThat(afterADay).isCloseTo(5 + 15 * Math.exp(-86_400 / 110_000.0), within(0.01));
    assertThat(afterTenDays).isCloseTo(5.0, within(0.01));
  }

  @Test
  void computeWarmsTheRoomTowardsItsEquilibrium() {
    SimulatedRoom r = room(5).initialTemperature(15).build();
    r.advance(T0, 0);
    double afterAnHour = r.advance(T0.plus(Duration.ofHours(1)), 600).insideC();
    double muchLater = r.advance(T0.plus(Duration.ofDays(20)), 600).insideC();
    assertThat(afterAnHour).isGreaterThan(15.0);
    // Equilibrium: T_out + P / UA = 5 + 600 / 30.
    assertThat(muchLater).isCloseTo(25.0, within(0.01));
  }

  @Test
  void wantsNoHeatInSummer() {
    SimulatedRoom r = room(25).build();
    assertThat(r.advance(T0, 0).demandWatts()).isZero();
    assertThat(r.advance(T0.plus(Duration.ofHours(6)), 0).demandWatts()).isZero();
  }

  @Test
  void wantsNoHeatWhenAboveSetpoint() {
    SimulatedRoom r = room(5).initialTemperature(21).build();
    assertThat(r.advance(T0, 0).demandWatts()).isZero();
  }

  @Test
  void asksForMoreWhenColdButNeverMoreThanMaxWatts() {
    // Losses at setpoint (30 W/K x 15 K) plus Kp (200 W/K) x 0.5 K.
    assertThat(room(5).initialTemperature(19.5).build().advance(T0, 0).demandWatts())
        .isCloseTo(450 + 100, within(1e-9));
    assertThat(room(-10).initialTemperature(10).build().advance(T0, 0).demandWatts()).isEqualTo(600.0);
  }

  @Test
  void timeScaleMakesTheRoomRespondFaster() {
    SimulatedRoom real = room(5).build();
    SimulatedRoom fast = room(5).timeScale(3600).build();
    real.advance(T0, 0);
    fast.advance(T0, 0);
    Instant oneMinuteLater = T0.plusSeconds(60);
    double realT = real.advance(oneMinuteLater, 0).insideC();
    double fastT = fast.advance(oneMinuteLater, 0).insideC();
    assertThat(fast.simulatedNow()).isEqualTo(T0.plus(Duration.ofHours(60)));
    assertThat(realT).isGreaterThan(19.99);
    assertThat(fastT).isCloseTo(5 + 15 * Math.exp(-60 * 3600 / 110_000.0), within(0.01));
  }

  @Test
  void doesNotMoveBackwards() {
    SimulatedRoom r = room(5).build();
    r.advance(T0, 0);
    double t = r.advance(T0.plusSeconds(3600), 0).insideC();
    assertThat(r.advance(T0, 0).insideC()).isEqualTo(t);
  }

  @Test
  void countsDegreeHoursBelowComfort() {
    SimulatedRoom r = room(5).build();
    r.advance(T0, 0);
    r.advance(T0.plus(Duration.ofDays(3)), 0);
    assertThat(r.degreeHoursBelowComfort()).isGreaterThan(100);
    assertThat(r.degreeHoursAboveComfort()).isZero();
  }

  @Test
  void forecastsMoreForARoomBelowSetpointThanForTheSameRoomAtSetpoint() {
    SimulatedRoom atSetpoint = room(5).build();
    SimulatedRoom cold = room(5).initialTemperature(18).build();
    atSetpoint.advance(T0, 0);
    cold.advance(T0, 0);
    Duration window = Duration.ofHours(4);
    // Holding: 30 W/K x 15 K; recovering 2 K of 3.3 MJ/K within 4 h adds 458 W, capped at 600 W.
    assertThat(atSetpoint.forecastDemandWatts(window)).isCloseTo(450, within(1e-9));
    assertThat(cold.forecastDemandWatts(window)).isEqualTo(600.0);
    SimulatedRoom slightlyCold = room(5).initialTemperature(19.9).build();
    slightlyCold.advance(T0, 0);
    assertThat(slightlyCold.forecastDemandWatts(window)).isCloseTo(450 + 3.3e6 * 0.1 / 14_400, within(1e-6));
  }

  @Test
  void forecastsNoRecoveryAboveSetpointAndNeverMoreThanMaxWatts() {
    SimulatedRoom warm = room(5).initialTemperature(22).build();
    warm.advance(T0, 0);
    assertThat(warm.forecastDemandWatts(Duration.ofHours(4))).isCloseTo(450, within(1e-9));
    SimulatedRoom freezing = room(-30).initialTemperature(0).build();
    freezing.advance(T0, 0);
    assertThat(freezing.forecastDemandWatts(Duration.ofHours(4))).isEqualTo(600.0);
    SimulatedRoom summer = room(25).initialTemperature(26).build();
    summer.advance(T0, 0);
    assertThat(summer.forecastDemandWatts(Duration.ofHours(4))).isZero();
  }

  @Test
  void gainsWarmTheRoomAndLowerItsForecast() {
    RoomGains gains = RoomGains.of(1, 2);
    SimulatedRoom withGains = room(5).gains(gains).build();
    SimulatedRoom without = room(5).build();
    withGains.advance(T0, 0);
    without.advance(T0, 0);
    Duration window = Duration.ofHours(4);
    double expectedGains = 0;
    for (int h = 0; h < 4; h++) {
      expectedGains += gains.watts(T0.plus(Duration.ofHours(h))) / 4;
    }
    assertThat(expectedGains).isGreaterThan(100);
    assertThat(withGains.forecastDemandWatts(window))
        .isCloseTo(without.forecastDemandWatts(window) - expectedGains, within(1e-6));
    // Mild weather, so neither thermostat is at full power: the warmer room asks for less.
    SimulatedRoom mildWithGains = room(12).gains(gains).build();
    SimulatedRoom mild = room(12).build();
    mildWithGains.advance(T0, 0);
    mild.advance(T0, 0);
    Instant later = T0.plus(Duration.ofHours(6));
    assertThat(mildWithGains.advance(later, 0).insideC()).isGreaterThan(mild.advance(later, 0).insideC());
    assertThat(mildWithGains.current().demandWatts()).isLessThan(mild.current().demandWatts());
    assertThat(mild.current().demandWatts()).isLessThan(600);
  }

  @Test
  void rejectsOutOfRangeSettingsNamingThem() {
    assertThatThrownBy(() -> SimulatedRoom.builder().ua(0))
        .hasMessage("ua: 0.0 (expected: > 0 and <= 10000)");
    assertThatThrownBy(() -> SimulatedRoom.builder().setpoint(50))
        .hasMessage("setpoint: 50.0 (expected: 5..35)");
  }
}
