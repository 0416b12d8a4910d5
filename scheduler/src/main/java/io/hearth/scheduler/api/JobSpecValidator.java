package io.hearth.scheduler.api;

import com.google.protobuf.Duration;
import io.hearth.api.v1.DependencyCondition;
import io.hearth.api.v1.JobDependency;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.SecretRef;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.Tier;
import io.hearth.api.v1.Workload;
import java.nio.charset.StandardCharsets;
import io.hearth.scheduler.job.ArrayJobs;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a submitted {@link JobSpec} where it enters and fills in the documented defaults. Every
 * refusal names the field (with its path, e.g. {@code specs[3].cores}) and the bound, in one shape:
 * {@code cores: 0 (expected: 1..256)}. Stateless and thread-safe.
 */
public final class JobSpecValidator {

  public static final int MAX_REQUEST_ID_LENGTH = 128;
  public static final int MAX_NAME_LENGTH = 256;
  public static final int MAX_CORES = 256;
  public static final long MAX_MEMORY_MIB = 1_048_576;
  public static final int MAX_ARGV = 1024;
  public static final int MAX_ARG_LENGTH = 8192;
  public static final int MAX_ENVIRONMENT_BYTES = 64 * 1024;
  public static final int MAX_SECRETS = 64;
  public static final int MAX_SECRET_KEY_LENGTH = 256;
  public static final int MAX_LABELS = 64;
  public static final int MAX_LABEL_LENGTH = 128;
  public static final int MAX_REGIONS = 32;
  public static final int MAX_REGION_LENGTH = 64;
  public static final int MAX_ATTEMPTS = 100;
  public static final int DEFAULT_MAX_ATTEMPTS = 3;
  public static final long MIN_RUNTIME_SECONDS = 1;
  public static final long MAX_RUNTIME_SECONDS = 7L * 24 * 3600;
  public static final long DEFAULT_RUNTIME_SECONDS = 3600;
  public static final long MIN_QUEUE_SECONDS = 1;
  public static final long MAX_QUEUE_SECONDS = 30L * 24 * 3600;
  public static final long DEFAULT_QUEUE_SECONDS = 24 * 3600;
  public static final int MAX_DEPENDENCIES = 1000;

  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private JobSpecValidator() {}

  /**
   * Returns the spec with defaults filled in, or throws INVALID_ARGUMENT naming the first field out
   * of bounds. {@code path} prefixes field names ("spec" or "specs[3]").
   */
  public static JobSpec validate(String path, JobSpec spec) {
    String p = path.isEmpty() ? "" : path + ".";
    JobSpec.Builder out = spec.toBuilder();

    checkLength(p + "request_id", spec.getRequestId(), 1, MAX_REQUEST_ID_LENGTH);
    checkLength(p + "name", spec.getName(), 0, MAX_NAME_LENGTH);

    if (spec.getTier() == Tier.UNRECOGNIZED || spec.getTier() == Tier.TIER_UNSPECIFIED) {
      throw HearthException.invalid(p + "tier: " + spec.getTierValue()
          + " (expected: one of TIER_RESERVED, TIER_ON_DEMAND, TIER_FLEX, TIER_DONATED)");
    }
    if (spec.getMinSecurityClass() == SecurityClass.UNRECOGNIZED
        || spec.getMinSecurityClass() == SecurityClass.SECURITY_CLASS_UNSPECIFIED) {
      throw HearthException.invalid(p + "min_security_class: " + spec.getMinSecurityClassValue()
          + " (expected: one of SECURITY_CLASS_OPEN, SECURITY_CLASS_SEALED, SECURITY_CLASS_CONTROLLED, SECURITY_CLASS_CERTIFIED)");
    }
    checkRange(p + "cores", spec.getCores(), 1, MAX_CORES);
    checkRange(p + "memory_mib", spec.getMemoryMib(), 1, MAX_MEMORY_MIB);

    if (!spec.hasWorkload()) {
      throw HearthException.invalid(p + "workload: missing (expected: a workload with argv)");
    }
    validateWorkload(p + "workload", spec.getWorkload());

    out.setMaxRuntime(duration(p + "max_runtime", spec.hasMaxRuntime() ? spec.getMaxRuntime() : null,
        MIN_RUNTIME_SECONDS, MAX_RUNTIME_SECONDS, DEFAULT_RUNTIME_SECONDS));
    out.setMaxQueueTime(duration(p + "max_queue_time", spec.hasMaxQueueTime() ? spec.getMaxQueueTime() : null,
        MIN_QUEUE_SECONDS, MAX_QUEUE_SECONDS, DEFAULT_QUEUE_SECONDS));
    if (spec.getMaxAttempts() == 0) {
      out.setMaxAttempts(DEFAULT_MAX_ATTEMPTS);
    } else {
      checkRange(p + "max_attempts", spec.getMaxAttempts(), 1, MAX_ATTEMPTS);
    }

    if (spec.getLabelsCount() > MAX_LABELS) {
      throw HearthException.invalid(p + "labels: " + spec.getLabelsCount() + " entries (expected: at most " + MAX_LABELS + ")");
    }
    for (Map.Entry<String, String> e : spec.getLabelsMap().entrySet()) {
      checkLength(p + "labels key", e.getKey(), 1, MAX_LABEL_LENGTH);
      checkLength(p + "labels[" + e.getKey() + "]", e.getValue(), 0, MAX_LABEL_LENGTH);
    }
    if (spec.getAllowedRegionsCount() > MAX_REGIONS) {
      throw HearthException.invalid(p + "allowed_regions: " + spec.getAllowedRegionsCount()
          + " entries (expected: at most " + MAX_REGIONS + ")");
    }
    for (int i = 0; i < spec.getAllowedRegionsCount(); i++) {
      checkLength(p + "allowed_regions[" + i + "]", spec.getAllowedRegions(i), 1, MAX_REGION_LENGTH);
    }
    checkRange(p + "instances", spec.getInstances(), 0, ArrayJobs.MAX_INSTANCES);
    if (spec.getInstances() > 1) {
      for (String reserved : List.of(ArrayJobs.INSTANCE_ID_ENV, ArrayJobs.INSTANCE_COUNT_ENV)) {
        if (spec.getWorkload().containsEnvironment(reserved)) {
          throw HearthException.invalid(p + "workload.environment: name '" + reserved
              + "' (expected: not set on an array job; each instance gets its own)");
        }
      }
    }
    validateDependencies(p + "depends_on", spec);
    return out.build();
  }

  /**
   * The shape of each dependency: exactly one of job_id and request_id, a known condition, at most
   * {@value #MAX_DEPENDENCIES}. Whether the parents exist, belong to the caller and form no cycle is
   * checked against the store and the batch by the service.
   */
  private static void validateDependencies(String p, JobSpec spec) {
    if (spec.getDependsOnCount() > MAX_DEPENDENCIES) {
      throw HearthException.invalid(p + ": " + spec.getDependsOnCount() + " entries (expected: at most "
          + MAX_DEPENDENCIES + ")");
    }
    for (int i = 0; i < spec.getDependsOnCount(); i++) {
      JobDependency d = spec.getDependsOn(i);
      String dp = p + "[" + i + "]";
      boolean byJob = !d.getJobId().isEmpty();
      boolean byRequest = !d.getRequestId().isEmpty();
      if (byJob == byRequest) {
        throw HearthException.invalid(dp + ": " + (byJob ? "both job_id and request_id set" : "neither job_id nor request_id set")
            + " (expected: exactly one)");
      }
      if (byJob) {
        checkLength(dp + ".job_id", d.getJobId(), 1, 64);
      } else {
        checkLength(dp + ".request_id", d.getRequestId(), 1, MAX_REQUEST_ID_LENGTH);
        if (d.getRequestId().equals(spec.getRequestId())) {
          throw HearthException.invalid(dp + ".request_id: '" + truncate(d.getRequestId())
              + "' is this spec's own (expected: another job's request_id)");
        }
      }
      if (d.getCondition() == DependencyCondition.UNRECOGNIZED) {
        throw HearthException.invalid(dp + ".condition: " + d.getConditionValue()
            + " (expected: DEPENDENCY_CONDITION_AFTER_SUCCESS or DEPENDENCY_CONDITION_AFTER_ANY_END)");
      }
    }
  }

  private static void validateWorkload(String p, Workload w) {
    if (w.getArgvCount() == 0) {
      throw HearthException.invalid(p + ".argv: empty (expected: 1.." + MAX_ARGV + " entries)");
    }
    if (w.getArgvCount() > MAX_ARGV) {
      throw HearthException.invalid(p + ".argv: " + w.getArgvCount() + " entries (expected: 1.." + MAX_ARGV + ")");
    }
    checkLength(p + ".argv[0]", w.getArgv(0), 1, MAX_ARG_LENGTH);
    for (int i = 1; i < w.getArgvCount(); i++) {
      checkLength(p + ".argv[" + i + "]", w.getArgv(i), 0, MAX_ARG_LENGTH);
    }
    long envBytes = 0;
    for (Map.Entry<String, String> e : w.getEnvironmentMap().entrySet()) {
      envBytes += utf8Length(e.getKey()) + utf8Length(e.getValue());
    }
    if (envBytes > MAX_ENVIRONMENT_BYTES) {
      throw HearthException.invalid(p + ".environment: " + envBytes + " bytes (expected: at most "
          + MAX_ENVIRONMENT_BYTES + " bytes of names and values)");
    }
    for (String name : w.getEnvironmentMap().keySet()) {
      if (!ENV_NAME.matcher(name).matches()) {
        throw HearthException.invalid(p + ".environment: name '" + truncate(name)
            + "' (expected: [A-Za-z_][A-Za-z0-9_]*)");
      }
    }
    if (w.getSecretsCount() > MAX_SECRETS) {
      throw HearthException.invalid(p + ".secrets: " + w.getSecretsCount() + " entries (expected: at most " + MAX_SECRETS + ")");
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < w.getSecretsCount(); i++) {
      SecretRef s = w.getSecrets(i);
      String sp = p + ".secrets[" + i + "]";
      checkLength(sp + ".env_name", s.getEnvName(), 1, MAX_LABEL_LENGTH);
      if (!ENV_NAME.matcher(s.getEnvName()).matches()) {
        throw HearthException.invalid(sp + ".env_name: '" + truncate(s.getEnvName()) + "' (expected: [A-Za-z_][A-Za-z0-9_]*)");
      }
      if (!names.add(s.getEnvName())) {
        throw HearthException.invalid(sp + ".env_name: '" + s.getEnvName() + "' repeated (expected: unique names)");
      }
      checkLength(sp + ".key", s.getKey(), 1, MAX_SECRET_KEY_LENGTH);
    }
  }

  private static Duration duration(String field, Duration d, long minSeconds, long maxSeconds, long defaultSeconds) {
    if (d == null) {
      return Duration.newBuilder().setSeconds(defaultSeconds).build();
    }
    if (d.getNanos() < 0 || d.getNanos() > 999_999_999 || d.getSeconds() < minSeconds
        || d.getSeconds() > maxSeconds || (d.getSeconds() == maxSeconds && d.getNanos() > 0)) {
      throw HearthException.invalid(field + ": " + d.getSeconds() + "s (expected: " + minSeconds + "s.." + maxSeconds + "s)");
    }
    return d;
  }

  static void checkRange(String field, long value, long min, long max) {
    if (value < min || value > max) {
      throw HearthException.invalid(field + ": " + value + " (expected: " + min + ".." + max + ")");
    }
  }

  static void checkLength(String field, String value, int min, int max) {
    int n = value.length();
    if (n < min || n > max) {
      throw HearthException.invalid(field + ": " + n + " characters (expected: " + min + ".." + max + ")");
    }
  }

  private static long utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  static String truncate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
