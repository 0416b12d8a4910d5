package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Real headless Chromium for the dashboard tests: Debian's {@code chromium} and
 * {@code chromium-driver} packages, given to Selenium explicitly so that it never tries to
 * download a browser (this machine has no internet). A missing browser fails the test loudly.
 */
final class Browsers {

  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  private Browsers() {}

  /** A fresh headless browser with its own profile under {@code profileParent}; the caller quits it. */
  static ChromeDriver chromium(Path profileParent, int width, int height) throws IOException {
    if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
      fail("headless Chromium is required for the dashboard tests and is missing (" + CHROMIUM + ", "
          + CHROMEDRIVER + "). Install it with: apt-get update && apt-get install -y chromium chromium-driver"
          + " (.ci/run does this)");
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--user-data-dir=" + Files.createTempDirectory(profileParent, "chromium-"),
        "--window-size=" + width + "," + height, "--hide-scrollbars");
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
        .usingAnyFreePort()
        .build();
    return new ChromeDriver(service, options);
  }
}
