package io.hearth.benchmarks.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the load tools ask of a JVM they started: {@code jcmd} answers (bounded in time), the heap
 * in use after a full collection, live objects per class, and stopping it.
 */
final class JvmProbe {

  private static final Pattern HISTOGRAM_ROW = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)");
  /**
   * The heap's "used" figure: G1 and Parallel print "total 123K, used 45K", ZGC "ZHeap used 45M",
   * Shenandoah "..., 128M committed, 14208K used".
   */
  private static final Pattern HEAP_USED = Pattern.compile(
      "(?:total \\d+K, used (\\d+)([KMG]))|(?:ZHeap\\s+used (\\d+)([KMG]))|(?:committed, (\\d+)([KMG]) used)");

  private JvmProbe() {}

  /** The answer of {@code jcmd PID command...}; fails when it takes over 60 s. */
  static String jcmd(long pid, String... command) throws Exception {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    List<String> cmd = new ArrayList<>(List.of(Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd", Long.toString(pid)));
    cmd.addAll(List.of(command));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    // Read on the side so a full pipe cannot block the bounded wait.
    AtomicReference<String> text = new AtomicReference<>("");
    Thread reader = new Thread(() -> {
      try {
        text.set(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException ignored) {
        // the process was killed
      }
    }, "jcmd-reader");
    reader.setDaemon(true);
    reader.start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("jcmd " + String.join(" ", command) + ": no answer in 60 s");
    }
    reader.join(5000);
    return text.get();
  }

  /** Heap in use after a full collection ({@code jcmd GC.run}, then {@code GC.heap_info}), bytes. */
  static long heapUsedAfterGc(long pid) throws Exception {
    jcmd(pid, "GC.run");
    return heapUsed(jcmd(pid, "GC.heap_info"));
  }

  /** The "used" figure of a {@code GC.heap_info} answer, bytes. */
  static long heapUsed(String heapInfo) {
    Matcher m = HEAP_USED.matcher(heapInfo);
    if (m.find()) {
      for (int g = 1; g <= 5; g += 2) {
        if (m.group(g) != null) {
          long unit = switch (m.group(g + 1)) {
            case "K" -> 1024L;
            case "M" -> 1024L * 1024;
            default -> 1024L * 1024 * 1024;
          };
          return Long.parseLong(m.group(g)) * unit;
        }
      }
    }
    throw new IllegalStateException("jcmd GC.heap_info: no 'used' figure");
  }

  /**
   * Live objects per class ({@code jcmd GC.class_histogram}, which collects first): class name ->
   * {instances, bytes}, classes of the same name in several loaders added up.
   */
  static Map<String, long[]> classHistogram(long pid) throws Exception {
    Map<String, long[]> out = new HashMap<>();
    for (String line : jcmd(pid, "GC.class_histogram").split("\n")) {
      Matcher m = HISTOGRAM_ROW.matcher(line);
      if (m.find()) {
        out.merge(m.group(3), new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))},
            (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
      }
    }
    if (out.isEmpty()) {
      throw new IllegalStateException("jcmd GC.class_histogram: no rows");
    }
    return out;
  }

  /** Asks the process to end, then kills it if it has not within 10 s. */
  static void stop(Process process) {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
