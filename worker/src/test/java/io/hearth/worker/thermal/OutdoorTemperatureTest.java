package io.hearth.worker.thermal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

class OutdoorTemperatureTest {
  private static final ZoneId PARIS = ZoneId.of("Europe/Paris");

  private static double dailyMean(OutdoorTemperature o, int month, int day) {
    double sum = 0;
    for (int h = 0; h < 24; h++) {
      sum += o.at(ZonedDateTime.of(2025, month, day, h, 0, 0, 0, PARIS).toInstant());
    }
    return sum / 24;
  }

  @Test
  void parisNormalsFollowTheMonthlyMeans() {
    OutdoorTemperature paris = OutdoorTemperature.parisNormals();
    assertThat(dailyMean(paris, 1, 16)).isCloseTo(5.4, within(0.3));
    assertThat(dailyMean(paris, 7, 16)).isCloseTo(21.0, within(0.3));
    assertThat(dailyMean(paris, 10, 16)).isCloseTo(13.1, within(0.3));
  }

  @Test
  void parisAfternoonsAreWarmerThanNights() {
    OutdoorTemperature paris = OutdoorTemperature.parisNormals();
    Instant afternoon = ZonedDateTime.of(2025, 4, 15, 15, 0, 0, 0, PARIS).toInstant();
    Instant night = ZonedDateTime.of(2025, 4, 15, 3, 0, 0, 0, PARIS).toInstant();
    assertThat(paris.at(afternoon) - paris.at(night)).isCloseTo(8.0, within(0.2));
  }

  @Test
  void constantIsConstant() {
    assertThat(OutdoorTemperature.constant(25).at(Instant.EPOCH)).isEqualTo(25.0);
  }
}
