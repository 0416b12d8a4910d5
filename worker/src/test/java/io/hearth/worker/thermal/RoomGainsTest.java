package io.hearth.worker.thermal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RoomGainsTest {

  /** Irradiation over one UTC day, Wh/m2, integrated per minute. */
  private static double dailyIrradiation(String date) {
    Instant start = Instant.parse(date + "T00:00:00Z");
    double wh = 0;
    for (int m = 0; m < 24 * 60; m++) {
      wh += RoomGains.parisIrradiance(start.plusSeconds(60L * m + 30)) / 60;
    }
    return wh;
  }

  @Test
  void eachDayReceivesItsMonthsMeanIrradiation() {
    assertThat(dailyIrradiation("2026-12-21")).isCloseTo(800, within(2.0));
    assertThat(dailyIrradiation("2026-07-15")).isCloseTo(5500, within(5.0));
  }

  @Test
  void theSunShinesOnlyBetweenSunriseAndSunset() {
    assertThat(RoomGains.parisIrradiance(Instant.parse("2026-12-21T03:00:00Z"))).isZero();
    assertThat(RoomGains.parisIrradiance(Instant.parse("2026-12-21T17:00:00Z"))).isZero();
    assertThat(RoomGains.parisIrradiance(Instant.parse("2026-06-21T05:00:00Z"))).isPositive();
    assertThat(RoomGains.parisIrradiance(Instant.parse("2026-06-21T11:51:00Z")))
        .isGreaterThan(RoomGains.parisIrradiance(Instant.parse("2026-06-21T08:00:00Z")));
  }

  @Test
  void internalGainsFollowTheDayAndTheRoomsScale() {
    RoomGains g = RoomGains.of(1.5, 0);
    // 03:00 and 19:00 in Paris in January (UTC+1).
    assertThat(g.watts(Instant.parse("2026-01-15T02:00:00Z"))).isCloseTo(150, within(1e-9));
    assertThat(g.watts(Instant.parse("2026-01-15T18:00:00Z"))).isCloseTo(420, within(1e-9));
    assertThat(RoomGains.none().watts(Instant.parse("2026-07-15T12:00:00Z"))).isZero();
  }

  @Test
  void typicalRoomsStayWithinTheStatedBounds() {
    // A 30 W/K room gets 30-60 W of internal gains on average over a day.
    RoomGains low = RoomGains.typical(30, 0, 0);
    assertThat(low.internalScale() * RoomGains.meanInternalWatts()).isCloseTo(30 * RoomGains.MIN_INTERNAL_K, within(1e-9));
    assertThat(low.apertureM2()).isEqualTo(RoomGains.MIN_APERTURE_M2);
    RoomGains high = RoomGains.typical(30, 0.999, 0.999);
    assertThat(high.internalScale() * RoomGains.meanInternalWatts()).isLessThan(30 * RoomGains.MAX_INTERNAL_K);
    assertThat(high.apertureM2()).isLessThan(RoomGains.MAX_APERTURE_M2);
    Instant noon = Instant.parse("2026-07-15T11:51:00Z");
    assertThat(RoomGains.of(0, 2).watts(noon)).isCloseTo(2 * RoomGains.parisIrradiance(noon), within(1e-9));
    assertThat(RoomGains.parisIrradiance(noon.plus(Duration.ofDays(180)))).isLessThan(RoomGains.parisIrradiance(noon));
  }

  @Test
  void refusesNegativeSettingsNamingThem() {
    assertThatThrownBy(() -> RoomGains.of(-1, 1)).hasMessage("internalScale: -1.0 (expected: 0..100)");
  }
}
