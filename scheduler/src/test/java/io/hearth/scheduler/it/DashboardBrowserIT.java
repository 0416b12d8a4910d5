package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hearth.api.v1.SubmitJobsRequest;
import io.hearth.worker.agent.NodeAgent;
import io.hearth.worker.sim.FleetSimulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The operators' dashboard in real headless Chromium against a real scheduler, a simulated winter
 * fleet of real agents and a real gRPC client: the page shows the fleet, its live numbers move as
 * jobs are submitted, and an operator drains a node with a click and sees the fleet view count it.
 */
class DashboardBrowserIT {

  private static final int NODES = 30;

  @TempDir Path work;

  @Test
  void showsTheLiveFleetAndDrainsANodeWithAClick() throws Exception {
    try (TestScheduler hearth = TestScheduler.start(TestScheduler.options()
            .dashboardRefreshInterval(Duration.ofMillis(500)).build());
        FleetSimulator fleet = FleetSimulator.builder()
            .scheduler("127.0.0.1:" + hearth.port())
            .credentials((id, cls) -> TestScheduler.credentials("node/" + id + "/" + cls.name().substring("SECURITY_CLASS_".length())))
            .count(NODES)
            .seed(11)
            .outdoorC(5)
            .workDir(work)
            .telemetryInterval(Duration.ofMillis(200))
            .start()) {
      await().atMost(Duration.ofSeconds(30)).until(() -> fleet.connectedCount() == NODES);
      ChromeDriver browser = Browsers.chromium(work, 1600, 1250);
      try {
        browser.get(hearth.dashboard("/?operator=ops"));
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
        wait.until(ExpectedConditions.textToBe(By.id("live-text"), "live"));
        wait.until(ExpectedConditions.textToBe(By.id("kpi-ready"), String.valueOf(NODES)));
        assertThat(text(browser, "kpi-running")).isEqualTo("0");
        assertThat(text(browser, "kpi-season")).isEqualToIgnoringCase("winter");

        // Live numbers follow submissions made through the real gRPC API.
        SubmitJobsRequest.Builder batch = SubmitJobsRequest.newBuilder();
        for (int i = 0; i < 6; i++) {
          batch.addSpecs(TestScheduler.spec("dash-" + i, "sleep", "30"));
        }
        hearth.jobs("tenant/acme").submitJobs(batch.build());
        wait.until(ExpectedConditions.textToBe(By.id("kpi-running"), "6"));
        wait.until(ExpectedConditions.textToBe(By.cssSelector("#jobs-RUNNING b"), "6"));
        wait.until(d -> !text(d, "kpi-delivered").equals("0.0 kW"));

        // Drill into a node and drain it with a click; the fleet view counts it.
        NodeAgent target = fleet.agents().get(0);
        browser.findElement(By.id("lookup-id")).sendKeys(target.nodeId());
        browser.findElement(By.id("lookup-go")).click();
        wait.until(ExpectedConditions.textToBe(By.id("node-state"), "READY"));
        browser.findElement(By.id("drain-btn")).click();
        wait.until(ExpectedConditions.textToBe(By.id("node-state"), "DRAINING"));
        wait.until(ExpectedConditions.textToBe(By.id("kpi-draining"), "1"));
        wait.until(ExpectedConditions.textToBe(By.id("kpi-ready"), String.valueOf(NODES - 1)));
        assertThat(hearth.scheduler.monitor().latest().nodesInState(io.hearth.scheduler.placement.NodeStates.DRAINING))
            .isEqualTo(1);

        Path shot = Path.of("target", "dashboard-it.png");
        Files.write(shot, browser.getScreenshotAs(OutputType.BYTES));
      } finally {
        browser.quit();
      }
    }
  }

  private static String text(WebDriver d, String id) {
    return d.findElement(By.id(id)).getText().trim();
  }
}
