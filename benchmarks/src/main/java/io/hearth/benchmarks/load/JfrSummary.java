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
 * them: per sample, the top frame (where the CPU was) and the first Hearth frame of the stack
 * (which Hearth code led there).
 */
final class JfrSummary {
  final Map<String, Integer> topFrames = new HashMap<>();
  final Map<String, Integer> hearthFrames = new HashMap<>();
  int samples;

  static JfrSummary of(Path jfrFile) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("jfr", "print", "--events", "jdk.ExecutionSample", jfrFile.toString())
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
    boolean hearthSeen = false;
    while ((line = in.readLine()) != null) {
      String t = line.trim();
      if (t.startsWith("stackTrace = [")) {
        inStack = true;
        first = true;
        hearthSeen = false;
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
      if (!hearthSeen && frame.startsWith("io.hearth.")) {
        s.hearthFrames.merge(frame, 1, Integer::sum);
        hearthSeen = true;
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
