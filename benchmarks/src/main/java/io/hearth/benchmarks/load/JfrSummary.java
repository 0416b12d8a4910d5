package io.hearth.benchmarks.load;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Summarises the {@code jdk.ExecutionSample} events of a JFR file as {@code jfr print} writes
 * them (stacks up to 64 frames): per sample, the top frame (where the CPU was), the thread (pool
 * names with digits as '#'), and each Hearth class on the stack (inclusive: which Hearth code led
 * there, counted once per sample).
 */
final class JfrSummary {
  static final int STACK_DEPTH = 64;
  private static final String THREAD = "sampledThread = \"";

  final Map<String, Integer> topFrames = new HashMap<>();
  final Map<String, Integer> hearthClasses = new HashMap<>();
  final Map<String, Integer> threads = new HashMap<>();
  int samples;

  static JfrSummary of(Path jfrFile) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("jfr", "print", "--stack-depth", Integer.toString(STACK_DEPTH),
        "--events", "jdk.ExecutionSample", jfrFile.toString())
        .redirectErrorStream(true).start();
    JfrSummary s;
    try (Reader r = new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)) {
      s = parse(r);
    }
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
    return s;
  }

  static JfrSummary parse(Reader text) throws IOException {
    JfrSummary s = new JfrSummary();
    BufferedReader in = new BufferedReader(text);
    String line;
    boolean inStack = false;
    boolean first = false;
    java.util.Set<String> seen = new java.util.HashSet<>();
    while ((line = in.readLine()) != null) {
      String t = line.trim();
      if (t.startsWith(THREAD)) {
        int end = t.indexOf('"', THREAD.length());
        String name = end > 0 ? t.substring(THREAD.length(), end) : t.substring(THREAD.length());
        s.threads.merge(name.replaceAll("[0-9]+", "#"), 1, Integer::sum);
        continue;
      }
      if (t.startsWith("stackTrace = [")) {
        inStack = true;
        first = true;
        seen.clear();
        s.samples++;
        continue;
      }
      if (!inStack) {
        continue;
      }
      if (t.equals("]") || t.equals("...")) {
        if (t.equals("]")) {
          inStack = false;
        }
        continue;
      }
      String frame = frame(t);
      if (first) {
        s.topFrames.merge(frame, 1, Integer::sum);
        first = false;
      }
      if (frame.startsWith("io.hearth.")) {
        String cls = frame.substring(0, Math.max(0, frame.lastIndexOf('.')));
        int nested = cls.indexOf('$');
        cls = nested > 0 ? cls.substring(0, nested) : cls;
        if (seen.add(cls)) {
          s.hearthClasses.merge(cls, 1, Integer::sum);
        }
      }
    }
    return s;
  }

  /** "a.b.C.m(int) line: 12" -> "a.b.C.m". */
  private static String frame(String t) {
    int paren = t.indexOf('(');
    return paren > 0 ? t.substring(0, paren) : t;
  }

  /** The {@code n} most frequent entries as "share% name", most frequent first. */
  List<String> top(Map<String, Integer> counts, int n) {
    return counts.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
        .limit(n)
        .map(e -> String.format("%5.1f %% %s", 100.0 * e.getValue() / Math.max(1, samples), e.getKey()))
        .collect(Collectors.toList());
  }
}
