package io.hearth.scheduler.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hearth.api.v1.JobDependency;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.Tier;
import io.hearth.api.v1.Workload;
import org.junit.jupiter.api.Test;

class JobSpecValidatorTest {

  static JobSpec.Builder spec() {
    return JobSpec.newBuilder().setRequestId("r1").setTier(Tier.TIER_FLEX)
        .setMinSecurityClass(SecurityClass.SECURITY_CLASS_OPEN).setCores(1).setMemoryMib(64)
        .setWorkload(Workload.newBuilder().addArgv("true"));
  }

  static void refused(JobSpec.Builder spec, String message) {
    assertThatThrownBy(() -> JobSpecValidator.validate("specs[2]", spec.build()))
        .isInstanceOf(HearthException.class).hasMessage(message);
  }

  @Test
  void acceptsArraysAndDependenciesWithinBounds() {
    JobSpec ok = JobSpecValidator.validate("spec", spec().setInstances(10_000)
        .addDependsOn(JobDependency.newBuilder().setRequestId("r0")).build());
    assertThat(ok.getInstances()).isEqualTo(10_000);
  }

  @Test
  void refusesInstancesOutOfBounds() {
    refused(spec().setInstances(10_001), "specs[2].instances: 10001 (expected: 0..10000)");
    refused(spec().setInstances(-3), "specs[2].instances: -3 (expected: 0..10000)");
  }

  @Test
  void refusesDependenciesNamingNeitherOrBothParents() {
    refused(spec().addDependsOn(JobDependency.newBuilder()),
        "specs[2].depends_on[0]: neither job_id nor request_id set (expected: exactly one)");
    refused(spec().addDependsOn(JobDependency.newBuilder().setJobId("job-1").setRequestId("r0")),
        "specs[2].depends_on[0]: both job_id and request_id set (expected: exactly one)");
  }

  @Test
  void refusesSelfReferenceUnknownConditionAndTooManyParents() {
    refused(spec().addDependsOn(JobDependency.newBuilder().setRequestId("r1")),
        "specs[2].depends_on[0].request_id: 'r1' is this spec's own (expected: another job's request_id)");
    refused(spec().addDependsOn(JobDependency.newBuilder().setJobId("job-1").setConditionValue(5)),
        "specs[2].depends_on[0].condition: 5 (expected: DEPENDENCY_CONDITION_AFTER_SUCCESS or DEPENDENCY_CONDITION_AFTER_ANY_END)");
    refused(spec().addDependsOn(JobDependency.newBuilder().setJobId("x".repeat(65))),
        "specs[2].depends_on[0].job_id: 65 characters (expected: 1..64)");
    JobSpec.Builder many = spec();
    for (int i = 0; i < 1001; i++) {
      many.addDependsOn(JobDependency.newBuilder().setJobId("job-" + i));
    }
    refused(many, "specs[2].depends_on: 1001 entries (expected: at most 1000)");
  }
}
