package io.hearth.scheduler.dashboard;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The dashboard's own meters, created once: bytes sent on the live streams (what a page costs the
 * network) and open streams. Thread-safe.
 */
final class DashboardMetrics {

  private final Counter sseBytes;
  private final AtomicInteger clients = new AtomicInteger();

  DashboardMetrics(MeterRegistry registry) {
    sseBytes = Counter.builder("hearth.dashboard.stream.sent").baseUnit("bytes")
        .description("Bytes sent to dashboard pages on their live streams").register(registry);
    Gauge.builder("hearth.dashboard.stream.clients", clients, AtomicInteger::get)
        .description("Dashboard pages with an open live stream").register(registry);
  }

  void sent(int bytes) {
    sseBytes.increment(bytes);
  }

  void clients(int n) {
    clients.set(n);
  }
}
