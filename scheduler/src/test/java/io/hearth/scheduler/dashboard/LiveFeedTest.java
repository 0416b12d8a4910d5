package io.hearth.scheduler.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.hearth.scheduler.metrics.FleetFigures;
import org.junit.jupiter.api.Test;

class LiveFeedTest {

  private static FleetFigures.Site site(int heaters, int cores, int reserved, double wanted, int drained, int lost) {
    return new FleetFigures.Site("s", "r", Math.max(1, heaters), heaters, cores, reserved, wanted, 0, 0, drained, lost, 0);
  }

  @Test
  void aSiteCodePacksDemandPerHeaterLoadAndFlags() {
    // 2 heaters wanting 600 W -> 300 W each -> step 4 of 75 W; 6 of 8 cores reserved -> load 7.
    assertThat(LiveFeed.code(site(2, 8, 6, 600, 0, 0))).isEqualTo(47);
    assertThat(LiveFeed.code(site(1, 4, 4, 5000, 1, 0))).isEqualTo(1099);
    assertThat(LiveFeed.code(site(0, 32, 0, 0, 0, 1))).isEqualTo(2100);
  }

  @Test
  void theHeatHistoryKeepsOnePointPerResolutionAndAtMostSixHours() {
    HeatHistory h = new HeatHistory();
    assertThat(h.offer(0, 1, 1, 1)).isNotNull();
    assertThat(h.offer(HeatHistory.RESOLUTION_MILLIS - 1, 2, 2, 2)).isNull();
    for (int i = 1; i <= HeatHistory.CAPACITY + 10; i++) {
      h.offer(i * HeatHistory.RESOLUTION_MILLIS, i, i, i);
    }
    assertThat(h.size()).isEqualTo(HeatHistory.CAPACITY);
    assertThat(h.toJson().getJsonArray(0).getLong(1)).isEqualTo(11);
    assertThat(h.toJson().getJsonArray(HeatHistory.CAPACITY - 1).getLong(1)).isEqualTo(HeatHistory.CAPACITY + 10);
  }
}
