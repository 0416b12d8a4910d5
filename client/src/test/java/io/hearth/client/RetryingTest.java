package io.hearth.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RetryingTest {

  @Test
  void retriesUnavailableUntilTheCallSucceeds() {
    AtomicInteger calls = new AtomicInteger();
    Retrying retry = Retrying.upTo(Duration.ofSeconds(10));
    String r = retry.call(() -> {
      if (calls.incrementAndGet() < 3) {
        throw Status.UNAVAILABLE.withDescription("leader changed").asRuntimeException();
      }
      return "ok";
    });
    assertThat(r).isEqualTo("ok");
    assertThat(retry.retries()).isEqualTo(2);
  }

  @Test
  void neverRetriesOtherStatuses() {
    AtomicInteger calls = new AtomicInteger();
    assertThatThrownBy(() -> Retrying.upTo(Duration.ofSeconds(10)).call(() -> {
      calls.incrementAndGet();
      throw Status.INVALID_ARGUMENT.withDescription("cores: 0 (expected: 1..256)").asRuntimeException();
    })).hasMessageContaining("INVALID_ARGUMENT");
    assertThat(calls).hasValue(1);
  }

  @Test
  void givesUpAtTheDeadline() {
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> Retrying.upTo(Duration.ofMillis(500)).call(() -> {
      throw Status.UNAVAILABLE.asRuntimeException();
    })).hasMessageContaining("UNAVAILABLE");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void aMemberListBecomesOneTargetAndBadEntriesAreNamed() {
    assertThat(Members.target("127.0.0.1:7070")).isEqualTo("127.0.0.1:7070");
    assertThat(Members.target("127.0.0.1:7070, 127.0.0.1:7071")).isEqualTo("hearth-members:///127.0.0.1:7070,127.0.0.1:7071");
    assertThatThrownBy(() -> Members.parse("127.0.0.1:7070,nope")).hasMessage("members: 'nope' (expected: host:port[,host:port...])");
  }
}
