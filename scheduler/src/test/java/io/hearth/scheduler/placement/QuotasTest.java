package io.hearth.scheduler.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class QuotasTest {

  @Test
  void theMostSpecificRuleOfEachKindApplies() {
    Quotas q = Quotas.parse("acme/ON_DEMAND=64, */ON_DEMAND=8, acme/*=100, */*=10");
    assertThat(q.tierLimit("acme", Tiers.ON_DEMAND)).isEqualTo(64);
    assertThat(q.tierLimit("globex", Tiers.ON_DEMAND)).isEqualTo(8);
    assertThat(q.tierLimit("acme", Tiers.FLEX)).isEqualTo(-1);
    assertThat(q.ownerLimit("acme")).isEqualTo(100);
    assertThat(q.ownerLimit("globex")).isEqualTo(10);
  }

  @Test
  void saysWhichQuotaAJobWouldExceed() {
    Quotas q = Quotas.parse("acme/ON_DEMAND=4,acme/*=6");
    int[] running = new int[Tiers.DONATED + 1];
    running[Tiers.ON_DEMAND] = 4;
    assertThat(q.exceeded("acme", Tiers.ON_DEMAND, 1, running)).isEqualTo("over quota: acme runs 4 of 4 ON_DEMAND cores");
    assertThat(q.exceeded("acme", Tiers.FLEX, 2, running)).isNull();
    assertThat(q.exceeded("acme", Tiers.FLEX, 3, running)).isEqualTo("over quota: acme runs 4 of 6 cores");
    assertThat(Quotas.NONE.exceeded("acme", Tiers.FLEX, 1000, running)).isNull();
  }

  @Test
  void refusesMalformedRulesNamingTheEntry() {
    assertThatThrownBy(() -> Quotas.parse("acme=4")).hasMessageContaining("'acme=4' (expected: owner/TIER=cores");
    assertThatThrownBy(() -> Quotas.parse("acme/GOLD=4")).hasMessageContaining("TIER one of RESERVED");
    assertThatThrownBy(() -> Quotas.parse("acme/FLEX=-1")).hasMessage("quota.running-cores: -1 in 'acme/FLEX=-1' (expected: 0..10000000)");
    assertThatThrownBy(() -> Quotas.parse("acme/FLEX=lots")).hasMessageContaining("a whole number of cores");
  }
}
