package io.hearth.client;

import com.google.protobuf.Duration;
import io.hearth.api.v1.DependencyCondition;
import io.hearth.api.v1.JobDependency;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.SecretRef;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.Tier;
import io.hearth.api.v1.Workload;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Typed job specs: {@link #command} starts a builder with the defaults below, {@link Builder#build}
 * checks every bound of the contract (job.proto) before anything is sent, and {@link #violations}
 * lists what is wrong with any spec, one message per field in the shape {@code cores: 0 (expected: 1..256)}.
 *
 * <pre>{@code
 * JobSpec spec = JobSpecs.command("python3", "price.py")
 *     .cores(4).memoryMib(2048).tier(Tier.TIER_FLEX).instances(500)
 *     .maxRuntime(java.time.Duration.ofMinutes(30))
 *     .build();
 * }</pre>
 */
public final class JobSpecs {

  /** Defaults of {@link #command}: a random request id, ON_DEMAND, at least SEALED, 1 core, 256 MiB. */
  public static final Tier DEFAULT_TIER = Tier.TIER_ON_DEMAND;
  public static final SecurityClass DEFAULT_SECURITY_CLASS = SecurityClass.SECURITY_CLASS_SEALED;
  public static final int DEFAULT_CORES = 1;
  public static final long DEFAULT_MEMORY_MIB = 256;

  /** The largest SubmitJobs batch. */
  public static final int MAX_BATCH = 1000;

  private JobSpecs() {}

  /** A builder for a job running {@code argv}. */
  public static Builder command(String... argv) {
    return command(List.of(argv));
  }

  /** A builder for a job running {@code argv}. */
  public static Builder command(List<String> argv) {
    Builder b = new Builder();
    b.spec.getWorkloadBuilder().addAllArgv(argv);
    return b;
  }

  /** A dependency on an accepted job (or array job) that must succeed first. */
  public static JobDependency afterJob(String jobId, boolean anyEnd) {
    return JobDependency.newBuilder().setJobId(jobId).setCondition(condition(anyEnd)).build();
  }

  /** A dependency on the job with this request id (accepted earlier or in the same batch). */
  public static JobDependency afterRequest(String requestId, boolean anyEnd) {
    return JobDependency.newBuilder().setRequestId(requestId).setCondition(condition(anyEnd)).build();
  }

  private static DependencyCondition condition(boolean anyEnd) {
    return anyEnd ? DependencyCondition.DEPENDENCY_CONDITION_AFTER_ANY_END : DependencyCondition.DEPENDENCY_CONDITION_AFTER_SUCCESS;
  }

  /**
   * Everything in {@code spec} outside the contract's bounds, one message per field, fields named as
   * in the proto ({@code cores}, {@code workload.argv}, {@code max_runtime}); empty when valid.
   */
  public static List<String> violations(JobSpec spec) {
    List<String> out = new ArrayList<>();
    length(out, "request_id", spec.getRequestId(), 1, 128);
    length(out, "name", spec.getName(), 0, 256);
    if (spec.getTier() == Tier.TIER_UNSPECIFIED || spec.getTier() == Tier.UNRECOGNIZED) {
      out.add("tier: unspecified (expected: one of RESERVED, ON_DEMAND, FLEX, DONATED)");
    }
    if (spec.getMinSecurityClass() == SecurityClass.SECURITY_CLASS_UNSPECIFIED
        || spec.getMinSecurityClass() == SecurityClass.UNRECOGNIZED) {
      out.add("min_security_class: unspecified (expected: one of OPEN, SEALED, CONTROLLED, CERTIFIED)");
    }
    range(out, "cores", spec.getCores(), 1, 256);
    range(out, "memory_mib", spec.getMemoryMib(), 1, 1_048_576);
    Workload w = spec.getWorkload();
    if (w.getArgvCount() < 1 || w.getArgvCount() > 1024) {
      out.add("workload.argv: " + w.getArgvCount() + " entries (expected: 1..1024)");
    } else if (w.getArgv(0).isEmpty()) {
      out.add("workload.argv[0]: empty (expected: a program name)");
    }
    long envBytes = 0;
    for (Map.Entry<String, String> e : w.getEnvironmentMap().entrySet()) {
      envBytes += e.getKey().getBytes(StandardCharsets.UTF_8).length + e.getValue().getBytes(StandardCharsets.UTF_8).length;
    }
    if (envBytes > 65_536) {
      out.add("workload.environment: " + envBytes + " bytes (expected: at most 65536)");
    }
    if (w.getSecretsCount() > 64) {
      out.add("workload.secrets: " + w.getSecretsCount() + " entries (expected: at most 64)");
    }
    for (int i = 0; i < w.getSecretsCount(); i++) {
      SecretRef s = w.getSecrets(i);
      if (!s.getEnvName().matches("[A-Z_][A-Z0-9_]{0,127}")) {
        out.add("workload.secrets[" + i + "].env_name: '" + s.getEnvName() + "' (expected: 1-128 characters, [A-Z_][A-Z0-9_]*)");
      }
      length(out, "workload.secrets[" + i + "].key", s.getKey(), 1, 256);
    }
    if (spec.hasMaxRuntime()) {
      seconds(out, "max_runtime", spec.getMaxRuntime(), 1, 7 * 86_400L, "1s..7d");
    }
    if (spec.hasMaxQueueTime()) {
      seconds(out, "max_queue_time", spec.getMaxQueueTime(), 1, 30 * 86_400L, "1s..30d");
    }
    if (spec.getMaxAttempts() != 0) {
      range(out, "max_attempts", spec.getMaxAttempts(), 1, 100);
    }
    if (spec.getLabelsCount() > 64) {
      out.add("labels: " + spec.getLabelsCount() + " entries (expected: at most 64)");
    }
    for (Map.Entry<String, String> e : spec.getLabelsMap().entrySet()) {
      length(out, "labels key '" + e.getKey() + "'", e.getKey(), 1, 128);
      length(out, "labels['" + e.getKey() + "']", e.getValue(), 0, 128);
    }
    if (spec.getAllowedRegionsCount() > 32) {
      out.add("allowed_regions: " + spec.getAllowedRegionsCount() + " entries (expected: at most 32)");
    }
    if (spec.getTier() == Tier.TIER_DONATED) {
      length(out, "grant_id", spec.getGrantId(), 1, 64);
    } else {
      length(out, "grant_id", spec.getGrantId(), 0, 64);
    }
    if (spec.getInstances() != 0) {
      range(out, "instances", spec.getInstances(), 1, 10_000);
    }
    if (spec.getDependsOnCount() > 1000) {
      out.add("depends_on: " + spec.getDependsOnCount() + " entries (expected: at most 1000)");
    }
    for (int i = 0; i < spec.getDependsOnCount(); i++) {
      JobDependency d = spec.getDependsOn(i);
      if (d.getJobId().isEmpty() == d.getRequestId().isEmpty()) {
        out.add("depends_on[" + i + "]: names " + (d.getJobId().isEmpty() ? "no parent" : "both job_id and request_id")
            + " (expected: exactly one of job_id and request_id)");
      }
    }
    return out;
  }

  private static void range(List<String> out, String field, long value, long min, long max) {
    if (value < min || value > max) {
      out.add(field + ": " + value + " (expected: " + min + ".." + max + ")");
    }
  }

  private static void length(List<String> out, String field, String value, int min, int max) {
    int n = value.length();
    if (n < min || n > max) {
      out.add(field + ": " + n + " characters (expected: " + min + ".." + max + ")");
    }
  }

  private static void seconds(List<String> out, String field, Duration d, long min, long max, String bound) {
    if (d.getSeconds() < min || d.getSeconds() > max || d.getSeconds() == max && d.getNanos() > 0) {
      out.add(field + ": " + d.getSeconds() + "s (expected: " + bound + ")");
    }
  }

  /** Converts a {@link java.time.Duration} to the protobuf type. */
  public static Duration proto(java.time.Duration d) {
    return Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }

  /** A job spec under construction; not thread-safe. */
  public static final class Builder {
    private final JobSpec.Builder spec = JobSpec.newBuilder()
        .setTier(DEFAULT_TIER)
        .setMinSecurityClass(DEFAULT_SECURITY_CLASS)
        .setCores(DEFAULT_CORES)
        .setMemoryMib(DEFAULT_MEMORY_MIB);

    private Builder() {}

    /** Idempotency key; default a random UUID. Keep it to resubmit safely. */
    public Builder requestId(String requestId) {
      spec.setRequestId(requestId);
      return this;
    }

    public Builder name(String name) {
      spec.setName(name);
      return this;
    }

    public Builder tier(Tier tier) {
      spec.setTier(tier);
      return this;
    }

    public Builder minSecurityClass(SecurityClass cls) {
      spec.setMinSecurityClass(cls);
      return this;
    }

    public Builder exclusive(boolean exclusive) {
      spec.setExclusive(exclusive);
      return this;
    }

    public Builder cores(int cores) {
      spec.setCores(cores);
      return this;
    }

    public Builder memoryMib(long mib) {
      spec.setMemoryMib(mib);
      return this;
    }

    public Builder env(String name, String value) {
      spec.getWorkloadBuilder().putEnvironment(name, value);
      return this;
    }

    public Builder secret(String envName, String key) {
      spec.getWorkloadBuilder().addSecrets(SecretRef.newBuilder().setEnvName(envName).setKey(key));
      return this;
    }

    public Builder maxRuntime(java.time.Duration d) {
      spec.setMaxRuntime(proto(d));
      return this;
    }

    public Builder maxQueueTime(java.time.Duration d) {
      spec.setMaxQueueTime(proto(d));
      return this;
    }

    public Builder maxAttempts(int n) {
      spec.setMaxAttempts(n);
      return this;
    }

    public Builder label(String key, String value) {
      spec.putLabels(key, value);
      return this;
    }

    public Builder region(String region) {
      spec.addAllowedRegions(region);
      return this;
    }

    /** For DONATED jobs: the grant to spend. */
    public Builder grant(String grantId) {
      spec.setGrantId(grantId);
      return this;
    }

    /** An array job of {@code n} instances, each seeing HEARTH_INSTANCE_ID and HEARTH_INSTANCE_COUNT. */
    public Builder instances(int n) {
      spec.setInstances(n);
      return this;
    }

    public Builder dependsOn(JobDependency dependency) {
      spec.addDependsOn(dependency);
      return this;
    }

    /** Checks every bound; the exception lists each violation on its own line. */
    public JobSpec build() {
      if (spec.getRequestId().isEmpty()) {
        spec.setRequestId(UUID.randomUUID().toString());
      }
      JobSpec built = spec.build();
      List<String> wrong = violations(built);
      if (!wrong.isEmpty()) {
        throw new IllegalArgumentException(String.join("\n", wrong));
      }
      return built;
    }
  }
}
