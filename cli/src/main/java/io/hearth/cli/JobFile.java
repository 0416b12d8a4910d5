package io.hearth.cli;

import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.SecretRef;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.Tier;
import io.hearth.client.JobSpecs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import picocli.CommandLine;

/**
 * A job file (YAML or JSON, same fields): one job, or a pipeline {@code jobs: [...]} whose jobs
 * name the jobs they wait for ({@code after: [name]}). Turns it into specs for one SubmitJobs
 * batch: names become request ids ({@code PREFIX/NAME}) and {@code after} becomes depends_on by
 * request id; a name not in the file is taken as the id of a job accepted earlier. Every error
 * names the file, the job and the field, e.g. {@code pipeline.yaml: jobs[1].cores: 0 (expected: 1..256)};
 * all are reported at once and nothing is sent while any remains.
 */
final class JobFile {

  static final Set<String> FIELDS = Set.of("name", "request_id", "command", "tier", "security_class", "exclusive",
      "cores", "memory_mib", "env", "secrets", "max_runtime", "max_queue_time", "max_attempts", "labels", "regions",
      "grant", "instances", "after", "after_any");

  /** Proto field names in {@link JobSpecs#violations} messages -> the file's field names. */
  private static final Map<String, String> PROTO_TO_FILE = Map.of(
      "workload.argv", "command", "min_security_class", "security_class", "allowed_regions", "regions",
      "grant_id", "grant", "workload.environment", "env", "workload.secrets", "secrets", "depends_on", "after");

  /** One job of a file: its name there and its spec, ready to send. */
  record Entry(String name, JobSpec spec) {}

  private JobFile() {}

  /** Reads and checks {@code file}; request ids are {@code prefix/NAME} (just {@code prefix} for a single job). */
  static List<Entry> read(Path file, String prefix) {
    String label = file.getFileName().toString();
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot be read (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
    }
    Object root;
    try {
      root = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    } catch (YAMLException e) {
      throw new IllegalArgumentException(label + ": not valid YAML or JSON: " + e.getMessage().replace('\n', ' '));
    }
    if (!(root instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException(label + ": " + (root == null ? "empty" : "a " + kind(root))
          + " (expected: a job, or 'jobs:' with a list of jobs)");
    }
    List<String> errors = new ArrayList<>();
    List<Map<?, ?>> jobs = new ArrayList<>();
    List<String> paths = new ArrayList<>();
    boolean pipeline = map.containsKey("jobs");
    if (pipeline) {
      for (Object k : map.keySet()) {
        if (!"jobs".equals(k)) {
          errors.add(label + ": " + k + ": unknown field (expected: only 'jobs' beside a pipeline's jobs)");
        }
      }
      if (!(map.get("jobs") instanceof List<?> list) || list.isEmpty() || list.size() > JobSpecs.MAX_BATCH) {
        int n = map.get("jobs") instanceof List<?> l ? l.size() : 0;
        throw new IllegalArgumentException(label + ": jobs: " + (map.get("jobs") instanceof List<?> ? n + " jobs" : "not a list")
            + " (expected: a list of 1.." + JobSpecs.MAX_BATCH + " jobs)");
      }
      for (int i = 0; i < list.size(); i++) {
        if (list.get(i) instanceof Map<?, ?> job) {
          jobs.add(job);
          paths.add(label + ": jobs[" + i + "].");
        } else {
          errors.add(label + ": jobs[" + i + "]: a " + kind(list.get(i)) + " (expected: a job, a mapping of fields)");
        }
      }
    } else {
      jobs.add(map);
      paths.add(label + ": ");
    }
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(String.join("\n", errors));
    }

    // Names first, so that 'after' may name a job further down the file.
    Map<String, String> requestIds = new HashMap<>();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < jobs.size(); i++) {
      Object n = jobs.get(i).get("name");
      String name = n == null ? "job-" + i : String.valueOf(n);
      names.add(name);
      Object rid = jobs.get(i).get("request_id");
      String requestId = rid != null ? String.valueOf(rid) : pipeline ? prefix + "/" + name : prefix;
      if (requestIds.put(name, requestId) != null) {
        errors.add(paths.get(i) + "name: '" + name + "' is taken by an earlier job (expected: names unique in the file)");
      }
    }
    List<Entry> out = new ArrayList<>();
    for (int i = 0; i < jobs.size(); i++) {
      Map<String, Object> fields = new LinkedHashMap<>();
      jobs.get(i).forEach((k, v) -> fields.put(String.valueOf(k), v));
      fields.putIfAbsent("name", names.get(i));
      fields.put("request_id", requestIds.get(names.get(i)));
      String path = paths.get(i);
      JobSpec spec = toSpec(fields, requestIds, f -> path + f, errors);
      if (spec != null) {
        out.add(new Entry(names.get(i), spec));
      }
    }
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(String.join("\n", errors));
    }
    return out;
  }

  /**
   * One job from its fields (file names, see {@link #FIELDS}); adds what is wrong to
   * {@code errors}, each message starting with {@code field.apply(name)}; null when anything is.
   * {@code after} entries found in {@code requestIds} depend on that request id, others on a job id.
   */
  static JobSpec toSpec(Map<String, Object> fields, Map<String, String> requestIds, UnaryOperator<String> field,
      List<String> errors) {
    int before = errors.size();
    for (String k : fields.keySet()) {
      if (!FIELDS.contains(k)) {
        errors.add(field.apply(k) + ": unknown field (expected one of: " + String.join(", ", FIELDS.stream().sorted().toList()) + ")");
      }
    }
    List<String> argv = new ArrayList<>();
    Object command = fields.get("command");
    if (command instanceof String s) {
      argv.addAll(List.of("sh", "-c", s));
    } else if (command instanceof List<?> l) {
      l.forEach(a -> argv.add(String.valueOf(a)));
    } else {
      errors.add(field.apply("command") + ": " + (command == null ? "missing" : "a " + kind(command))
          + " (expected: a list [program, args...] or a shell command line)");
    }
    JobSpecs.Builder b = JobSpecs.command(argv);
    Object name = fields.get("name");
    if (name != null) {
      b.name(String.valueOf(name));
    }
    Object rid = fields.get("request_id");
    if (rid != null) {
      b.requestId(String.valueOf(rid));
    }
    if (fields.containsKey("tier")) {
      Tier t = enumValue(Tier.class, "TIER_", fields.get("tier"), field.apply("tier"), errors);
      if (t != null) {
        b.tier(t);
      }
    }
    if (fields.containsKey("security_class")) {
      SecurityClass c = enumValue(SecurityClass.class, "SECURITY_CLASS_", fields.get("security_class"), field.apply("security_class"), errors);
      if (c != null) {
        b.minSecurityClass(c);
      }
    }
    if (fields.containsKey("exclusive")) {
      if (fields.get("exclusive") instanceof Boolean x) {
        b.exclusive(x);
      } else {
        errors.add(field.apply("exclusive") + ": '" + fields.get("exclusive") + "' (expected: true or false)");
      }
    }
    Long cores = integer(fields, "cores", field, errors);
    if (cores != null) {
      b.cores((int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, cores)));
    }
    Long memory = integer(fields, "memory_mib", field, errors);
    if (memory != null) {
      b.memoryMib(memory);
    }
    Long attempts = integer(fields, "max_attempts", field, errors);
    if (attempts != null) {
      b.maxAttempts((int) Math.max(-1, Math.min(Integer.MAX_VALUE, attempts)));
    }
    Long instances = integer(fields, "instances", field, errors);
    if (instances != null) {
      b.instances((int) Math.max(-1, Math.min(Integer.MAX_VALUE, instances)));
    }
    Duration runtime = duration(fields, "max_runtime", field, errors);
    if (runtime != null) {
      b.maxRuntime(runtime);
    }
    Duration queue = duration(fields, "max_queue_time", field, errors);
    if (queue != null) {
      b.maxQueueTime(queue);
    }
    stringMap(fields, "env", field, errors).forEach(b::env);
    stringMap(fields, "labels", field, errors).forEach(b::label);
    stringMap(fields, "secrets", field, errors).forEach(b::secret);
    strings(fields, "regions", field, errors).forEach(b::region);
    if (fields.get("grant") != null) {
      b.grant(String.valueOf(fields.get("grant")));
    }
    for (String key : List.of("after", "after_any")) {
      for (String parent : strings(fields, key, field, errors)) {
        String requestId = requestIds.get(parent);
        boolean any = key.equals("after_any");
        b.dependsOn(requestId != null ? JobSpecs.afterRequest(requestId, any) : JobSpecs.afterJob(parent, any));
      }
    }
    JobSpec spec;
    try {
      spec = b.build();
    } catch (IllegalArgumentException e) {
      for (String violation : e.getMessage().split("\n")) {
        if (!argv.isEmpty() || !violation.startsWith("workload.argv")) {
          String v = fileField(violation);
          int colon = v.indexOf(':');
          errors.add(field.apply(v.substring(0, colon)) + v.substring(colon));
        }
      }
      return null;
    }
    return errors.size() == before ? spec : null;
  }

  private static String fileField(String violation) {
    for (Map.Entry<String, String> e : PROTO_TO_FILE.entrySet()) {
      if (violation.startsWith(e.getKey())) {
        return e.getValue() + violation.substring(e.getKey().length());
      }
    }
    return violation;
  }

  private static Long integer(Map<String, Object> fields, String key, UnaryOperator<String> field, List<String> errors) {
    Object v = fields.get(key);
    if (v == null) {
      return null;
    }
    if (v instanceof Integer || v instanceof Long) {
      return ((Number) v).longValue();
    }
    errors.add(field.apply(key) + ": '" + v + "' (expected: an integer)");
    return null;
  }

  private static Duration duration(Map<String, Object> fields, String key, UnaryOperator<String> field, List<String> errors) {
    Object v = fields.get(key);
    if (v == null) {
      return null;
    }
    try {
      return v instanceof Integer || v instanceof Long ? Duration.ofSeconds(((Number) v).longValue()) : duration(String.valueOf(v));
    } catch (IllegalArgumentException e) {
      errors.add(field.apply(key) + ": '" + v + "' (expected: a duration like 90s, 30m, 1h, 2d)");
      return null;
    }
  }

  private static Map<String, String> stringMap(Map<String, Object> fields, String key, UnaryOperator<String> field, List<String> errors) {
    Object v = fields.get(key);
    Map<String, String> out = new LinkedHashMap<>();
    if (v == null) {
      return out;
    }
    if (!(v instanceof Map<?, ?> m)) {
      errors.add(field.apply(key) + ": a " + kind(v) + " (expected: a mapping NAME: value)");
      return out;
    }
    m.forEach((k, x) -> out.put(String.valueOf(k), x == null ? "" : String.valueOf(x)));
    return out;
  }

  private static List<String> strings(Map<String, Object> fields, String key, UnaryOperator<String> field, List<String> errors) {
    Object v = fields.get(key);
    List<String> out = new ArrayList<>();
    if (v == null) {
      return out;
    }
    if (v instanceof List<?> l) {
      l.forEach(x -> out.add(String.valueOf(x)));
    } else if (v instanceof String s) {
      out.add(s);
    } else {
      errors.add(field.apply(key) + ": a " + kind(v) + " (expected: a list of names)");
    }
    return out;
  }

  private static <E extends Enum<E>> E enumValue(Class<E> type, String prefix, Object v, String field, List<String> errors) {
    List<String> names = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      if (e.name().startsWith(prefix) && !e.name().endsWith("_UNSPECIFIED")) {
        names.add(e.name().substring(prefix.length()));
      }
    }
    String s = String.valueOf(v).trim().toUpperCase(Locale.ROOT).replace('-', '_');
    if (s.startsWith(prefix)) {
      s = s.substring(prefix.length());
    }
    if (names.contains(s)) {
      return Enum.valueOf(type, prefix + s);
    }
    errors.add(field + ": '" + v + "' (expected one of: " + String.join(", ", names) + ")");
    return null;
  }

  private static String kind(Object v) {
    return v instanceof Map ? "mapping" : v instanceof List ? "list" : v instanceof String ? "string '" + v + "'" : "value '" + v + "'";
  }

  /** {@code 500ms}, {@code 90s}, {@code 30m}, {@code 1h}, {@code 2d}, a number of seconds, or ISO-8601 {@code PT1H}. */
  static Duration duration(String s) {
    String t = s.trim().toLowerCase(Locale.ROOT);
    try {
      if (t.startsWith("pt") || t.startsWith("p")) {
        return Duration.parse(t.toUpperCase(Locale.ROOT));
      }
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      long n = Long.parseLong(t.replaceAll("[smhd]$", ""));
      return switch (t.charAt(t.length() - 1)) {
        case 'm' -> Duration.ofMinutes(n);
        case 'h' -> Duration.ofHours(n);
        case 'd' -> Duration.ofDays(n);
        default -> Duration.ofSeconds(n);
      };
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("'" + s + "' (expected: a duration like 90s, 30m, 1h, 2d)", e);
    }
  }

  /** Picocli converter for duration flags. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return duration(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}
