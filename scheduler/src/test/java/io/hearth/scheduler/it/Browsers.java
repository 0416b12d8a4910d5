package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.fail;

import io.hearth.certs.DevCa;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Real headless Chromium for the dashboard tests: Debian's {@code chromium} and
 * {@code chromium-driver} packages, given to Selenium explicitly so that it never tries to
 * download a browser (this machine has no internet). The dashboard is mutual TLS, so the browser
 * gets an operator certificate the way a person's browser would: imported into its NSS
 * certificate database (Debian's {@code libnss3-tools}), the test CA trusted there, and a managed
 * policy that selects the certificate without a prompt (headless Chromium cannot ask). A missing
 * browser or tool fails the test loudly.
 */
final class Browsers {

  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final Path CERTUTIL = Path.of("/usr/bin/certutil");
  static final Path PK12UTIL = Path.of("/usr/bin/pk12util");
  static final Path POLICY = Path.of("/etc/chromium/policies/managed/hearth-tests-client-certificate.json");

  private Browsers() {}

  /** A fresh headless browser, presenting operator/ops's certificate; the caller quits it. */
  static ChromeDriver chromium(Path profileParent, int width, int height) throws IOException, InterruptedException {
    for (Path tool : List.of(CHROMIUM, CHROMEDRIVER, CERTUTIL, PK12UTIL)) {
      if (!Files.isExecutable(tool)) {
        fail("headless Chromium with an NSS certificate database is required for the dashboard tests and " + tool
            + " is missing. Install: apt-get update && apt-get install -y chromium chromium-driver libnss3-tools"
            + " (.ci/run does this)");
      }
    }
    Path home = Files.createTempDirectory(profileParent, "browser-home-");
    Path nss = Files.createDirectories(home.resolve(".pki/nssdb"));
    run(CERTUTIL.toString(), "-N", "-d", "sql:" + nss, "--empty-password");
    Path ca = home.resolve("ca.pem");
    Files.writeString(ca, TestScheduler.CA.certificatePem());
    run(CERTUTIL.toString(), "-A", "-n", "hearth-test-ca", "-t", "C,,", "-i", ca.toString(), "-d", "sql:" + nss);
    DevCa.Issued op = TestScheduler.CA.issueClient("operator", "ops", null);
    try {
      KeyStore p12 = KeyStore.getInstance("PKCS12");
      p12.load(null, null);
      p12.setKeyEntry("operator-ops", op.key(), "pw".toCharArray(),
          new java.security.cert.Certificate[] {op.certificate(), TestScheduler.CA.certificate()});
      try (var out = Files.newOutputStream(home.resolve("operator.p12"))) {
        p12.store(out, "pw".toCharArray());
      }
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException(e);
    }
    run(PK12UTIL.toString(), "-i", home.resolve("operator.p12").toString(), "-d", "sql:" + nss, "-W", "pw");
    if (!Files.exists(POLICY)) {
      try {
        Files.createDirectories(POLICY.getParent());
        Files.writeString(POLICY, "{\"AutoSelectCertificateForUrls\": [\"{\\\"pattern\\\":\\\"https://127.0.0.1\\\","
            + "\\\"filter\\\":{\\\"ISSUER\\\":{\\\"CN\\\":\\\"Hearth test CA\\\"}}}\"]}\n");
      } catch (IOException e) {
        fail("the dashboard test needs Chromium's managed policy " + POLICY + " (client certificate auto-selection)"
            + " and cannot write it: " + e.getMessage() + ". Run as root or create it as .ci/run does.");
      }
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
        .withEnvironment(Map.of("HOME", home.toString()))
        .build();
    return new ChromeDriver(service, options);
  }

  private static void run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      fail(String.join(" ", command) + " failed: " + out);
    }
  }
}
