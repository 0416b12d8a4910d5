package io.hearth.scheduler;

import io.hearth.scheduler.config.SchedulerOptions;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Runs one scheduler member until the process is stopped: {@code java -jar hearth-scheduler.jar
 * [--config FILE]}. Settings: defaults, then the file, then HEARTH_* environment variables.
 */
public final class SchedulerMain {

  private SchedulerMain() {}

  public static void main(String[] args) throws InterruptedException {
    Path config = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        config = Path.of(args[++i]);
      } else {
        System.err.println("unknown argument '" + args[i] + "' (expected: --config FILE)");
        System.exit(2);
      }
    }
    SchedulerOptions options;
    try {
      options = SchedulerOptions.load(config, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("configuration: " + e.getMessage());
      System.exit(2);
      return;
    }
    HearthScheduler scheduler = HearthScheduler.start(options);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      scheduler.close();
      stopped.countDown();
    }, "hearth-shutdown"));
    stopped.await();
  }
}
