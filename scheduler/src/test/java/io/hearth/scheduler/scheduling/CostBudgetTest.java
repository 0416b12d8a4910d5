package io.hearth.scheduler.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CostBudgetTest {

  private final AtomicLong now = new AtomicLong(1_000);

  @Test
  void aPassWaitsItsCostTimesTheFactorBeforeTheNext() {
    CostBudget budget = new CostBudget(20, Duration.ofSeconds(10), now::get);
    assertThat(budget.due()).isTrue();
    long start = budget.start();
    now.addAndGet(ms(50));
    budget.spent(start);
    assertThat(budget.due()).isFalse();
    now.addAndGet(ms(999));
    assertThat(budget.due()).as("50 ms x 20 = 1 s not yet over").isFalse();
    now.addAndGet(ms(1));
    assertThat(budget.due()).isTrue();
  }

  @Test
  void theWaitIsCappedSoOneSlowPassDoesNotStallTheNextForLong() {
    CostBudget budget = new CostBudget(20, Duration.ofSeconds(10), now::get);
    long start = budget.start();
    now.addAndGet(ms(2_000));
    budget.spent(start);
    now.addAndGet(ms(9_999));
    assertThat(budget.due()).isFalse();
    now.addAndGet(ms(1));
    assertThat(budget.due()).as("capped at 10 s, not 40 s").isTrue();
  }

  @Test
  void aCheapPassStaysDueAtEveryTick() {
    CostBudget budget = new CostBudget(20, Duration.ofSeconds(10), now::get);
    long start = budget.start();
    now.addAndGet(TimeUnit.MICROSECONDS.toNanos(100));
    budget.spent(start);
    now.addAndGet(ms(100));
    assertThat(budget.due()).isTrue();
  }

  @Test
  void aPassInFlightIsNotDueAgainUntilItEndsOrTheCapPasses() {
    CostBudget budget = new CostBudget(20, Duration.ofSeconds(10), now::get);
    long start = budget.start();
    now.addAndGet(ms(9_999));
    assertThat(budget.due()).as("still running").isFalse();
    budget.spent(start);
    assertThat(budget.due()).as("10 s x 20, capped at 10 s").isFalse();
    now.addAndGet(ms(10_000));
    assertThat(budget.due()).isTrue();

    budget.start();
    now.addAndGet(ms(10_000));
    assertThat(budget.due()).as("a pass that never reported its end blocks at most the cap").isTrue();
  }

  @Test
  void aTimedPassIsPacedByItsDurationAndAFailedOneToo() {
    CostBudget budget = new CostBudget(20, Duration.ofSeconds(10), now::get);
    assertThat(budget.timed(() -> {
      assertThat(budget.due()).as("not due while it runs").isFalse();
      now.addAndGet(ms(50));
      return "counted";
    })).isEqualTo("counted");
    now.addAndGet(ms(999));
    assertThat(budget.runIfDue(() -> { })).as("50 ms x 20 = 1 s not yet over").isFalse();
    now.addAndGet(ms(1));
    assertThatThrownBy(() -> budget.runIfDue(() -> {
      now.addAndGet(ms(100));
      throw new IllegalStateException("store unreachable");
    })).hasMessage("store unreachable");
    now.addAndGet(ms(1_999));
    assertThat(budget.due()).as("the failed pass's 100 ms x 20 = 2 s paces the next").isFalse();
    now.addAndGet(ms(1));
    assertThat(budget.runIfDue(() -> { })).isTrue();
  }

  @Test
  void refusesAFactorBelowOne() {
    assertThatThrownBy(() -> new CostBudget(0, Duration.ofSeconds(1))).hasMessageContaining("factor: 0 (expected: >= 1)");
  }

  private static long ms(long millis) {
    return TimeUnit.MILLISECONDS.toNanos(millis);
  }
}
