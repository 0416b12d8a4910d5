package io.hearth.benchmarks.load;

import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;

/** The summary of one load run: rows of figures, the acceptance lines, notes; as Markdown. */
final class LoadReport {
  record Row(String what, String value, String note) {}

  record Verdict(String line, String target, String measured, Boolean holds) {}

  private final List<String> context = new ArrayList<>();
  private final List<Row> rows = new ArrayList<>();
  private final List<Verdict> verdicts = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();

  void context(String line) {
    context.add(line);
  }

  void row(String what, String value, String note) {
    rows.add(new Row(what, value, note));
  }

  /** {@code holds} null: not measured in this run. */
  void verdict(String line, String target, String measured, Boolean holds) {
    verdicts.add(new Verdict(line, target, measured, holds));
  }

  void note(String text) {
    notes.add(text);
  }

  static String rate(double perSecond) {
    return String.format("%,.0f /s", perSecond);
  }

  static String millis(long micros) {
    return String.format("%.2f ms", micros / 1000.0);
  }

  /** "p50 a / p99 b / p99.9 c / max d (n)" of a histogram in microseconds. */
  static String percentiles(Histogram h) {
    if (h.getTotalCount() == 0) {
      return "no samples";
    }
    return String.format("p50 %s / p99 %s / p99.9 %s / max %s (n=%,d)",
        millis(h.getValueAtPercentile(50)), millis(h.getValueAtPercentile(99)),
        millis(h.getValueAtPercentile(99.9)), millis(h.getMaxValue()), h.getTotalCount());
  }

  String markdown() {
    StringBuilder b = new StringBuilder();
    b.append("```\n");
    context.forEach(c -> b.append(c).append('\n'));
    b.append("```\n\n| measure | value | how |\n|---|---:|---|\n");
    rows.forEach(r -> b.append("| ").append(cell(r.what())).append(" | ").append(cell(r.value())).append(" | ")
        .append(cell(r.note())).append(" |\n"));
    b.append("\n| acceptance line | target | measured | holds |\n|---|---|---|---|\n");
    verdicts.forEach(v -> b.append("| ").append(cell(v.line())).append(" | ").append(cell(v.target())).append(" | ")
        .append(cell(v.measured())).append(" | ")
        .append(v.holds() == null ? "not measured" : v.holds() ? "yes" : "**no**").append(" |\n"));
    if (!notes.isEmpty()) {
      b.append('\n');
      notes.forEach(n -> b.append(n).append("\n\n"));
    }
    return b.toString();
  }

  private static String cell(String s) {
    return s.replace("|", "\\|").replace("\n", " ");
  }
}
