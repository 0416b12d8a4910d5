package io.hearth.benchmarks.load;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Flags of {@link LoadMain}. Every flag is {@code --name value}; a bad one is refused with an
 * {@link IllegalArgumentException} naming the flag and its bound.
 */
public record LoadOptions(
    int nodes,
    int nodeCores,
    int radiatorPercent,
    int tenants,
    int inFlight,
    int batchSize,
    int batchesInFlight,
    double phaseSeconds,
    long maxCalls,
    long maxJobs,
    double latencyFraction,
    int telemetrySeconds,
    int idleSeconds,
    int jobMillis,
    boolean jfr,
    int schedulerHeapMb,
    String schedulerGc,
    List<String> schedulerJvmOptions,
    long jobRetentionSeconds,
    boolean skipEcho,
    int members,
    Path schedulerJar,
    Path out) {

  /** Flag, default and bound, in the order {@link #usage()} lists them. */
  private static final Map<String, String> HELP = new LinkedHashMap<>();

  static {
    HELP.put("--nodes", "simulated nodes connected to the scheduler, 1..10000 (default 500)");
    HELP.put("--node-cores", "cores each node offers, 1..1024 (default 16)");
    HELP.put("--radiator-percent", "share of nodes that are radiators (SEALED, wanting all their heat), the rest data-center machines (CERTIFIED), 0..100 (default 80)");
    HELP.put("--tenants", "tenant identities, one mTLS connection each (the echo client uses as many), 1..64 (default 8)");
    HELP.put("--in-flight", "unary calls in flight (echo and SubmitJob), 1..4096 (default 128)");
    HELP.put("--batch", "jobs per SubmitJobs call, 1..1000 (default 100)");
    HELP.put("--batches-in-flight", "SubmitJobs calls in flight, 1..256 (default 8)");
    HELP.put("--phase-seconds", "time bound of each measured phase, 1..600 (default 5)");
    HELP.put("--max-calls", "count bound of each echo phase, 1..100000000 (default 2000000)");
    HELP.put("--max-jobs", "count bound of each submit phase, in jobs, 1..100000000 (default 1000000)");
    HELP.put("--latency-fraction", "rate of the latency phase as a fraction of the unary peak, 0.01..1 (default 0.5)");
    HELP.put("--telemetry-seconds", "telemetry interval the scheduler asks of nodes, 1..600 (default 10)");
    HELP.put("--idle-seconds", "length of each idle CPU window, 0..600 (default 20; 0 = skip)");
    HELP.put("--job-ms", "how long a simulated job 'runs' before the node reports SUCCEEDED, 0..600000 (default 0)");
    HELP.put("--jfr", "record the scheduler with JFR (profile settings) over the two throughput phases and summarise its CPU samples, true|false (default false)");
    HELP.put("--scheduler-heap-mb", "scheduler -Xmx in MiB, 256..65536 (default 2048)");
    HELP.put("--scheduler-gc", "scheduler's garbage collector, shenandoah|g1|zgc (default shenandoah, as the scheduler image; g1 with a 10 ms pause target)");
    HELP.put("--scheduler-jvm-options", "more JVM options for each scheduler member, separated by spaces, each starting with '-', after the collector's (default none)");
    HELP.put("--job-retention-seconds", "scheduler's jobs.retention-seconds, 0..31536000 (default: the scheduler's own, 14400)");
    HELP.put("--skip-echo", "true to skip the echo ceilings, true|false (default false)");
    HELP.put("--members", "scheduler members in one cluster (store folder shared; tenants and nodes spread over them), 1..3 (default 1)");
    HELP.put("--scheduler-jar", "shaded scheduler jar (default scheduler/target/hearth-scheduler-all.jar)");
    HELP.put("--out", "Markdown summary file (default benchmarks/load-report.md)");
  }

  public static String usage() {
    StringBuilder b = new StringBuilder("usage: java -cp benchmarks/target/benchmarks.jar io.hearth.benchmarks.load.LoadMain [flags]\n");
    HELP.forEach((flag, help) -> b.append(String.format("  %-20s %s%n", flag, help)));
    return b.toString();
  }

  public static LoadOptions parse(String... args) {
    Map<String, String> f = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!HELP.containsKey(a)) {
        throw new IllegalArgumentException("unknown flag '" + a + "' (expected one of " + HELP.keySet() + ")");
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(a + ": missing value");
      }
      if (f.put(a, args[++i]) != null) {
        throw new IllegalArgumentException(a + ": given twice");
      }
    }
    return new LoadOptions(
        (int) integer(f, "--nodes", 500, 1, 10_000),
        (int) integer(f, "--node-cores", 16, 1, 1024),
        (int) integer(f, "--radiator-percent", 80, 0, 100),
        (int) integer(f, "--tenants", 8, 1, 64),
        (int) integer(f, "--in-flight", 128, 1, 4096),
        (int) integer(f, "--batch", 100, 1, 1000),
        (int) integer(f, "--batches-in-flight", 8, 1, 256),
        decimal(f, "--phase-seconds", 5, 1, 600),
        integer(f, "--max-calls", 2_000_000, 1, 100_000_000),
        integer(f, "--max-jobs", 1_000_000, 1, 100_000_000),
        decimal(f, "--latency-fraction", 0.5, 0.01, 1),
        (int) integer(f, "--telemetry-seconds", 10, 1, 600),
        (int) integer(f, "--idle-seconds", 20, 0, 600),
        (int) integer(f, "--job-ms", 0, 0, 600_000),
        bool(f, "--jfr"),
        (int) integer(f, "--scheduler-heap-mb", 2048, 256, 65_536),
        choice(f, "--scheduler-gc", "shenandoah", "shenandoah", "g1", "zgc"),
        jvmOptions(f, "--scheduler-jvm-options"),
        f.containsKey("--job-retention-seconds") ? integer(f, "--job-retention-seconds", 0, 0, 31_536_000) : -1,
        bool(f, "--skip-echo"),
        (int) integer(f, "--members", 1, 1, 3),
        Path.of(f.getOrDefault("--scheduler-jar", "scheduler/target/hearth-scheduler-all.jar")),
        Path.of(f.getOrDefault("--out", "benchmarks/load-report.md")));
  }

  private static String choice(Map<String, String> f, String flag, String dflt, String... allowed) {
    String v = f.getOrDefault(flag, dflt);
    if (!List.of(allowed).contains(v)) {
      throw new IllegalArgumentException(flag + ": '" + v + "' (expected: one of " + String.join(", ", allowed) + ")");
    }
    return v;
  }

  /** Whitespace-separated JVM options, each starting with '-' (they are passed as arguments, not through a shell). */
  private static List<String> jvmOptions(Map<String, String> f, String flag) {
    String v = f.getOrDefault(flag, "").strip();
    if (v.isEmpty()) {
      return List.of();
    }
    List<String> options = List.of(v.split("\\s+"));
    for (String o : options) {
      if (!o.startsWith("-") || o.equals("-jar") || o.equals("-cp") || o.equals("-classpath")) {
        throw new IllegalArgumentException(flag + ": '" + o + "' (expected: JVM options starting with '-', not -jar or a class path)");
      }
    }
    return options;
  }

  private static boolean bool(Map<String, String> f, String flag) {
    String v = f.getOrDefault(flag, "false");
    if (!v.equals("true") && !v.equals("false")) {
      throw new IllegalArgumentException(flag + ": '" + v + "' (expected: true or false)");
    }
    return v.equals("true");
  }

  private static long integer(Map<String, String> f, String flag, long dflt, long min, long max) {
    return (long) number(f, flag, dflt, min, max, true);
  }

  private static double decimal(Map<String, String> f, String flag, double dflt, double min, double max) {
    return number(f, flag, dflt, min, max, false);
  }

  private static double number(Map<String, String> f, String flag, double dflt, double min, double max, boolean integral) {
    String v = f.get(flag);
    if (v == null) {
      return dflt;
    }
    String range = integral ? (long) min + ".." + (long) max : min + ".." + max;
    double d;
    try {
      d = integral ? Long.parseLong(v.replace("_", "")) : Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + ": '" + v + "' (expected: " + (integral ? "an integer" : "a number") + " in " + range + ")");
    }
    if (!(d >= min && d <= max)) {
      throw new IllegalArgumentException(flag + ": " + v + " (expected: " + range + ")");
    }
    return d;
  }

}
