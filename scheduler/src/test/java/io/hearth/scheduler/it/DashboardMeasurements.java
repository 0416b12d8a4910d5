package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hearth.api.v1.AdminServiceGrpc;
import io.hearth.api.v1.ApproveNonprofitRequest;
import io.hearth.api.v1.DrainNodeRequest;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.SubmitJobsRequest;
import io.hearth.api.v1.Tier;
import io.hearth.worker.sim.FleetSimulator;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * One-off measurements behind the dashboard's numbers, not part of {@code mvn verify} (the name
 * matches neither surefire's nor failsafe's patterns). Run one explicitly:
 *
 * <pre>
 *   mvn -B -pl scheduler -am verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
 *       -Dit.test='DashboardMeasurements#streamBytesPerSecondWithTenThousandNodes'
 *   mvn ... -Dit.test='DashboardMeasurements#screenshotOfADevModeFleet'   (writes docs/dashboard.png)
 * </pre>
 * Both report; neither times anything as an assertion.
 */
class DashboardMeasurements {

  @TempDir Path work;

  /** Jobs of mixed tiers and lengths, the way dev mode sees them. */
  private static JobSpec.Builder job(Random rnd, String id) {
    return TestScheduler.spec(id, "sleep", String.valueOf(60 + rnd.nextInt(240)))
        .setCores(1 + rnd.nextInt(2))
        .setTier(rnd.nextInt(4) == 0 ? Tier.TIER_FLEX : Tier.TIER_ON_DEMAND)
        .setMinSecurityClass(rnd.nextInt(5) == 0 ? SecurityClass.SECURITY_CLASS_CERTIFIED : SecurityClass.SECURITY_CLASS_SEALED)
        .setMaxRuntime(com.google.protobuf.Duration.newBuilder().setSeconds(600));
  }

  @Test
  void streamBytesPerSecondWithTenThousandNodes() throws Exception {
    int nodes = Integer.getInteger("hearth.nodes", 10_000);
    long seconds = Long.getLong("hearth.seconds", 40);
    try (TestScheduler hearth = TestScheduler.start(TestScheduler.options()
            .nodeTimeout(Duration.ofSeconds(30)).telemetryInterval(Duration.ofSeconds(2))
            .sweepInterval(Duration.ofSeconds(1)).build());
        FleetSimulator fleet = FleetSimulator.builder()
            .scheduler("127.0.0.1:" + hearth.port())
            .credentials((id, cls) -> TestScheduler.credentials("node/" + id + "/" + cls.name().substring("SECURITY_CLASS_".length())))
            .count(nodes).seed(1).outdoorC(5).workDir(work)
            .telemetryInterval(Duration.ofSeconds(2)).threads(2).start()) {
      long t0 = System.nanoTime();
      await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1))
          .until(() -> hearth.scheduler.monitor().latest().nodesTotal() == nodes);
      System.out.printf("MEASURE %d nodes connected and aggregated in %d s%n", nodes,
          TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0));

      // Keep the fleet busy and changing: a batch of jobs every 2 s.
      Random rnd = new Random(3);
      AtomicInteger submitted = new AtomicInteger();
      ScheduledExecutorService load = Executors.newSingleThreadScheduledExecutor();
      load.scheduleAtFixedRate(() -> {
        SubmitJobsRequest.Builder b = SubmitJobsRequest.newBuilder();
        for (int i = 0; i < 100; i++) {
          b.addSpecs(job(rnd, "m-" + submitted.incrementAndGet()));
        }
        hearth.jobs("tenant/acme").submitJobs(b.build());
      }, 0, 2, TimeUnit.SECONDS);
      ChromeDriver browser = Browsers.chromium(work, 1600, 1320);
      try {
        // The page itself, on the same fleet: its event-loop lag while live updates arrive.
        browser.get(hearth.dashboard("/?operator=ops"));
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(ExpectedConditions.textToBe(By.id("live-text"), "live"));
        HttpResponse<InputStream> stream = TestScheduler.https("operator/ops").send(HttpRequest.newBuilder(
            URI.create(hearth.dashboard("/api/stream"))).build(),
            HttpResponse.BodyHandlers.ofInputStream());
        AtomicLong initBytes = new AtomicLong(-1);
        AtomicLong tickBytes = new AtomicLong();
        AtomicInteger ticks = new AtomicInteger();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long start = 0;
        try (InputStream in = stream.body()) {
          StringBuilder event = new StringBuilder();
          int c;
          while (System.nanoTime() < deadline && (c = in.read()) >= 0) {
            event.append((char) c);
            int n = event.length();
            if (n >= 2 && event.charAt(n - 1) == '\n' && event.charAt(n - 2) == '\n') {
              long bytes = event.toString().getBytes(StandardCharsets.ISO_8859_1).length;
              if (initBytes.get() < 0) {
                initBytes.set(bytes);
                start = System.nanoTime();
              } else {
                tickBytes.addAndGet(bytes);
                ticks.incrementAndGet();
              }
              event.setLength(0);
            }
          }
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        Object lag = browser.executeAsyncScript("""
            const done = arguments[arguments.length - 1];
            let last = performance.now(), worst = 0, n = 0;
            const t = setInterval(() => { const now = performance.now(); worst = Math.max(worst, now - last - 50);
              last = now; if (++n === 200) { clearInterval(t); done(Math.round(worst)); } }, 50);""");
        System.out.printf("MEASURE page: worst event-loop lag over 10 s %s ms; page's own figure: %s; %d sites drawn%n",
            lag, browser.findElement(By.id("footer-bytes")).getText(),
            ((Number) browser.executeScript("return state.siteNames.length")).intValue());
        var f = hearth.scheduler.monitor().latest();
        System.out.printf("MEASURE %d nodes, %d sites, %d running attempts, %d jobs submitted%n", f.nodesTotal(),
            f.sites().size(), f.runningAttempts(), submitted.get());
        System.out.printf("MEASURE init event %d bytes; then %d ticks, %d bytes in %.1f s = %.0f bytes/s (%.0f bytes/tick)%n",
            initBytes.get(), ticks.get(), tickBytes.get(), elapsed, tickBytes.get() / elapsed,
            (double) tickBytes.get() / Math.max(1, ticks.get()));
        assertThat(ticks.get()).isPositive();
      } finally {
        browser.quit();
        load.shutdownNow();
      }
    }
  }

  @Test
  void screenshotOfADevModeFleet() throws Exception {
    long minutes = Long.getLong("hearth.minutes", 3);
    Path out = Path.of(System.getProperty("hearth.screenshot", "../docs/dashboard.png"));
    try (TestScheduler hearth = TestScheduler.start(TestScheduler.options().nodeTimeout(Duration.ofSeconds(15))
            .telemetryInterval(Duration.ofSeconds(2)).sweepInterval(Duration.ofSeconds(1)).build());
        FleetSimulator fleet = FleetSimulator.builder()
            .scheduler("127.0.0.1:" + hearth.port())
            .credentials((id, cls) -> TestScheduler.credentials("node/" + id + "/" + cls.name().substring("SECURITY_CLASS_".length())))
            .count(300).seed(1).outdoorC(6).workDir(work)
            .telemetryInterval(Duration.ofSeconds(2)).start()) {
      await().atMost(Duration.ofMinutes(1)).until(() -> hearth.scheduler.monitor().latest().nodesTotal() == 300);
      java.util.function.Supplier<AdminServiceGrpc.AdminServiceBlockingStub> ops = () ->
          AdminServiceGrpc.newBlockingStub(hearth.channel("operator/ops")).withInterceptors(TestScheduler.PER_CALL_DEADLINE);
      ops.get().approveNonprofit(ApproveNonprofitRequest.newBuilder().setNonprofitId("open-renders").setWeight(3).build());
      ops.get().approveNonprofit(ApproveNonprofitRequest.newBuilder().setNonprofitId("climate-lab").setWeight(1).build());

      // Work ramps up over the minutes so the heat chart has a shape: paid batches, donated renders, a few failures.
      Random rnd = new Random(5);
      AtomicInteger n = new AtomicInteger();
      ScheduledExecutorService load = Executors.newSingleThreadScheduledExecutor();
      load.scheduleAtFixedRate(() -> {
        int k = n.incrementAndGet();
        SubmitJobsRequest.Builder paid = SubmitJobsRequest.newBuilder();
        for (int i = 0; i < 4 + k; i++) {
          paid.addSpecs(job(rnd, "shot-" + k + "-" + i));
        }
        if (k % 5 == 0) {
          paid.addSpecs(TestScheduler.spec("shot-fail-" + k, "sh", "-c", "exit 3").setMaxAttempts(2));
        }
        hearth.jobs("tenant/acme").submitJobs(paid.build());
        SubmitJobsRequest.Builder donated = SubmitJobsRequest.newBuilder();
        for (int i = 0; i < 3; i++) {
          donated.addSpecs(job(rnd, "render-" + k + "-" + i).setTier(Tier.TIER_DONATED)
              .setMinSecurityClass(SecurityClass.SECURITY_CLASS_OPEN));
        }
        hearth.jobs("nonprofit/open-renders").submitJobs(donated.build());
      }, 0, 10, TimeUnit.SECONDS);
      try {
        long pointsWanted = minutes * 6;
        await().atMost(Duration.ofMinutes(minutes + 2)).pollInterval(Duration.ofSeconds(5))
            .until(() -> n.get() >= pointsWanted);
        ops.get().drainNode(DrainNodeRequest.newBuilder().setNodeId("sim-rad-0007").build());
        ChromeDriver browser = Browsers.chromium(work, 1600, 1400);
        try {
          browser.get(hearth.dashboard("/?operator=ops"));
          WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
          wait.until(ExpectedConditions.textToBe(By.id("kpi-draining"), "1"));
          wait.until(d -> d.findElements(By.cssSelector("#chart polyline")).size() == 3);
          wait.until(d -> d.findElements(By.cssSelector("#nonprofits li b")).size() == 2);
          wait.until(d -> d.findElement(By.id("footer-bytes")).getText().contains("B/s"));
          Files.createDirectories(out.toAbsolutePath().getParent());
          Files.write(out, browser.getScreenshotAs(OutputType.BYTES));
          System.out.printf("MEASURE screenshot written to %s%n", out.toAbsolutePath().normalize());
        } finally {
          browser.quit();
        }
      } finally {
        load.shutdownNow();
      }
    }
  }
}
