package io.hearth.scheduler.donation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class FairShareTest {

  @Test
  void twoToOneWeightsShareAnOversubscribedOfferTwoToOne() {
    Map<String, Long> g = FairShare.allocate(30, List.of(
        new FairShare.Claim("a", 40, 2), new FairShare.Claim("b", 40, 1)));
    assertThat(g).containsEntry("a", 20L).containsEntry("b", 10L);
  }

  @Test
  void aSmallClaimIsMetInFullAndTheRestGoesToTheOthers() {
    Map<String, Long> g = FairShare.allocate(30, List.of(
        new FairShare.Claim("a", 40, 1), new FairShare.Claim("b", 5, 1), new FairShare.Claim("c", 40, 2)));
    assertThat(g).containsEntry("b", 5L);
    assertThat(g.get("a") + g.get("c")).isEqualTo(25);
    assertThat(Math.abs(g.get("c") - 2 * g.get("a"))).isLessThanOrEqualTo(2);
  }

  @Test
  void anUndersubscribedOfferGrantsEveryClaim() {
    assertThat(FairShare.allocate(100, List.of(new FairShare.Claim("a", 12, 1), new FairShare.Claim("b", 30, 5))))
        .containsEntry("a", 12L).containsEntry("b", 30L);
  }

  @Property(tries = 2000)
  void grantsNeverExceedTheOfferNorAClaimAndStayWithinOneUnitOfTheExactShare(
      @ForAll @DoubleRange(min = 0, max = 500) double offered,
      @ForAll @Size(min = 1, max = 6) List<@DoubleRange(min = 0, max = 300) Double> requested,
      @ForAll @IntRange(min = 1, max = 5) int weightSeed) {
    List<FairShare.Claim> claims = new java.util.ArrayList<>();
    for (int i = 0; i < requested.size(); i++) {
      claims.add(new FairShare.Claim("n" + i, requested.get(i), 1 + (i * weightSeed) % 4));
    }
    Map<String, Long> g = FairShare.allocate(offered, claims);
    long total = g.values().stream().mapToLong(Long::longValue).sum();
    assertThat(total).isLessThanOrEqualTo((long) Math.floor(offered + 1e-9));
    for (FairShare.Claim c : claims) {
      assertThat((double) g.get(c.id())).isLessThanOrEqualTo(c.requested() + 1e-9);
    }
  }
}
