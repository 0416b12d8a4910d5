package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.hearth.api.v1.GetJobLogsRequest;
import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.JobDependency;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.api.v1.SubmitJobResponse;
import io.hearth.api.v1.SubmitJobsRequest;
import io.hearth.api.v1.Workload;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Hostile and malformed submissions over a real socket: precise refusals, nothing lost, still serving. */
class BadInputIT {

  static TestScheduler hearth;
  static JobServiceGrpc.JobServiceBlockingStub acme;

  @BeforeAll
  static void start() {
    hearth = TestScheduler.start(TestScheduler.options().build());
    acme = hearth.jobs("tenant/acme");
  }

  @AfterAll
  static void stop() {
    hearth.close();
  }

  private static void assertRefused(JobSpec spec, String fieldAndBound) {
    assertThatThrownBy(() -> acme.submitJob(SubmitJobRequest.newBuilder().setSpec(spec).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).contains(fieldAndBound);
        });
  }

  @Test
  void refusesZeroCoresNamingTheFieldAndBound() {
    assertRefused(TestScheduler.spec("r-cores", "true").setCores(0).build(), "spec.cores: 0 (expected: 1..256)");
  }

  @Test
  void refusesNegativeMemory() {
    assertRefused(TestScheduler.spec("r-mem", "true").setMemoryMib(-5).build(), "spec.memory_mib: -5 (expected: 1..1048576)");
  }

  @Test
  void refusesEmptyArgv() {
    assertRefused(TestScheduler.spec("r-argv").build(), "spec.workload.argv: empty");
  }

  @Test
  void refusesUnknownEnumValues() {
    assertRefused(TestScheduler.spec("r-tier", "true").setTierValue(42).build(), "spec.tier: 42");
    assertRefused(TestScheduler.spec("r-class", "true").setMinSecurityClassValue(9).build(), "spec.min_security_class: 9");
  }

  @Test
  void refusesControlCharactersInRequestIds() {
    // The request id is a key of the durable store: PostgreSQL's text columns refuse U+0000.
    assertRefused(TestScheduler.spec("r-\u0000nul", "true").build(),
        "spec.request_id: control character U+0000 at index 2 (expected: printable characters only)");
    assertRefused(TestScheduler.spec("r-\ttab", "true").build(), "spec.request_id: control character U+0009 at index 2");
  }

  @Test
  void refusesTwoMegabyteEnvironment() {
    String big = "x".repeat(2 * 1024 * 1024);
    JobSpec spec = TestScheduler.spec("r-env", "true")
        .setWorkload(Workload.newBuilder().addArgv("true").putEnvironment("BIG", big)).build();
    assertRefused(spec, "spec.workload.environment: 2097155 bytes (expected: at most 65536");
  }

  @Test
  void refusesABatchWholeWhenOneSpecIsBadNamingItsIndex() {
    SubmitJobsRequest batch = SubmitJobsRequest.newBuilder()
        .addSpecs(TestScheduler.spec("batch-ok-1", "true"))
        .addSpecs(TestScheduler.spec("batch-bad", "true").setCores(300))
        .build();
    assertThatThrownBy(() -> acme.submitJobs(batch))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
            assertThat(e.getStatus().getDescription()).isEqualTo("specs[1].cores: 300 (expected: 1..256)"));
    // Nothing of the refused batch was accepted: the good spec's request id is still free.
    SubmitJobResponse later = acme.submitJob(SubmitJobRequest.newBuilder()
        .setSpec(TestScheduler.spec("batch-ok-1", "true")).build());
    assertThat(later.getCreated()).isTrue();
  }

  @Test
  void refusesArraySizesOutOfBounds() {
    assertRefused(TestScheduler.spec("r-inst", "true").setInstances(10_001).build(), "spec.instances: 10001 (expected: 0..10000)");
    assertRefused(TestScheduler.spec("r-inst-neg", "true").setInstances(-1).build(), "spec.instances: -1 (expected: 0..10000)");
    assertRefused(TestScheduler.spec("r-inst-env", "true").setInstances(3)
        .setWorkload(Workload.newBuilder().addArgv("true").putEnvironment("HEARTH_INSTANCE_ID", "7")).build(),
        "spec.workload.environment: name 'HEARTH_INSTANCE_ID' (expected: not set on an array job");
  }

  @Test
  void refusesMalformedDependencies() {
    assertRefused(TestScheduler.spec("r-dep-none", "true").addDependsOn(JobDependency.newBuilder()).build(),
        "spec.depends_on[0]: neither job_id nor request_id set (expected: exactly one)");
    assertRefused(TestScheduler.spec("r-dep-both", "true").addDependsOn(JobDependency.newBuilder().setJobId("job-1")
        .setRequestId("x")).build(), "spec.depends_on[0]: both job_id and request_id set (expected: exactly one)");
    assertRefused(TestScheduler.spec("r-dep-self", "true").addDependsOn(JobDependency.newBuilder()
        .setRequestId("r-dep-self")).build(), "spec.depends_on[0].request_id: 'r-dep-self' is this spec's own");
    assertRefused(TestScheduler.spec("r-dep-cond", "true").addDependsOn(JobDependency.newBuilder().setJobId("job-1")
        .setConditionValue(9)).build(), "spec.depends_on[0].condition: 9 (expected:");
    JobSpec.Builder many = TestScheduler.spec("r-dep-many", "true");
    for (int i = 0; i < 1001; i++) {
      many.addDependsOn(JobDependency.newBuilder().setJobId("job-" + i));
    }
    assertRefused(many.build(), "spec.depends_on: 1001 entries (expected: at most 1000)");
  }

  @Test
  void refusesUnknownAndForeignParentsAndKeepsNothingOfTheBatch() {
    assertRefused(TestScheduler.spec("r-dep-unknown", "true").addDependsOn(JobDependency.newBuilder()
        .setJobId("job-00000000000000ff")).build(), "spec.depends_on[0].job_id: 'job-00000000000000ff' not found");
    String globexJob = hearth.jobs("tenant/globex").submitJob(SubmitJobRequest.newBuilder()
        .setSpec(TestScheduler.spec("globex-parent", "true")).build()).getJob().getJobId();
    assertRefused(TestScheduler.spec("r-dep-foreign", "true").addDependsOn(JobDependency.newBuilder()
        .setJobId(globexJob)).build(), "spec.depends_on[0].job_id: '" + globexJob + "' not found (expected: one of your jobs, not yet deleted after it ended)");
    SubmitJobsRequest batch = SubmitJobsRequest.newBuilder()
        .addSpecs(TestScheduler.spec("dep-ok", "true"))
        .addSpecs(TestScheduler.spec("dep-bad", "true").addDependsOn(JobDependency.newBuilder().setRequestId("nowhere")))
        .build();
    assertThatThrownBy(() -> acme.submitJobs(batch))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getDescription())
            .startsWith("specs[1].depends_on[0].request_id: 'nowhere' not found"));
    assertThat(acme.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec("dep-ok", "true")).build())
        .getCreated()).isTrue();
  }

  @Test
  void refusesBadLogRequests() {
    String id = acme.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec("logs-bad", "true")).build())
        .getJob().getJobId();
    assertLogsRefused(GetJobLogsRequest.newBuilder().setJobId(id).setOffset(-1).build(), Status.Code.INVALID_ARGUMENT,
        "offset: -1 (expected: >= 0)");
    assertLogsRefused(GetJobLogsRequest.newBuilder().setJobId(id).setLimit(-2).build(), Status.Code.INVALID_ARGUMENT,
        "limit: -2 (expected: >= 0");
    assertLogsRefused(GetJobLogsRequest.newBuilder().setJobId(id).setStreamValue(7).build(), Status.Code.INVALID_ARGUMENT,
        "stream: 7 (expected:");
    // No node here: the job never ran.
    assertLogsRefused(GetJobLogsRequest.newBuilder().setJobId(id).build(), Status.Code.NOT_FOUND, "has no attempts yet");
    assertLogsRefused(GetJobLogsRequest.newBuilder().setJobId("job-00000000000000ff").build(), Status.Code.NOT_FOUND,
        "not found");
  }

  private static void assertLogsRefused(GetJobLogsRequest request, Status.Code code, String message) {
    assertThatThrownBy(() -> acme.getJobLogs(request).hasNext())
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(code);
          assertThat(e.getStatus().getDescription()).contains(message);
        });
  }

  @Test
  void repeatedRequestIdReturnsTheOriginalJob() {
    SubmitJobResponse first = acme.submitJob(SubmitJobRequest.newBuilder()
        .setSpec(TestScheduler.spec("same-request", "echo", "one")).build());
    SubmitJobResponse again = acme.submitJob(SubmitJobRequest.newBuilder()
        .setSpec(TestScheduler.spec("same-request", "echo", "two")).build());
    assertThat(first.getCreated()).isTrue();
    assertThat(again.getCreated()).isFalse();
    assertThat(again.getJob().getJobId()).isEqualTo(first.getJob().getJobId());
    assertThat(again.getJob().getSpec().getWorkload().getArgvList()).containsExactly("echo", "one");
    // Another tenant may use the same request id for its own job, and cannot see acme's.
    var other = hearth.jobs("tenant/globex");
    SubmitJobResponse theirs = other.submitJob(SubmitJobRequest.newBuilder()
        .setSpec(TestScheduler.spec("same-request", "true")).build());
    assertThat(theirs.getCreated()).isTrue();
    assertThatThrownBy(() -> other.getJob(GetJobRequest.newBuilder().setJobId(first.getJob().getJobId()).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
  }

  @Test
  void concurrentCallsWithOneRequestIdMakeOneJobAndTheOthersEachTheirOwn() throws Exception {
    // Concurrent unary calls are accepted in shared batches: a request id must still stand for one
    // job whether its repeats land in the same batch or in another.
    int calls = 96;
    java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(32);
    try {
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      java.util.List<java.util.concurrent.Future<SubmitJobResponse>> same = new java.util.ArrayList<>();
      java.util.List<java.util.concurrent.Future<SubmitJobResponse>> own = new java.util.ArrayList<>();
      for (int i = 0; i < calls; i++) {
        String requestId = i % 2 == 0 ? "burst-shared" : "burst-" + i;
        var result = callers.submit(() -> {
          go.await();
          return acme.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec(requestId, "true")).build());
        });
        (i % 2 == 0 ? same : own).add(result);
      }
      go.countDown();
      java.util.Set<String> sharedIds = new java.util.HashSet<>();
      int created = 0;
      for (var f : same) {
        SubmitJobResponse r = f.get(60, java.util.concurrent.TimeUnit.SECONDS);
        sharedIds.add(r.getJob().getJobId());
        created += r.getCreated() ? 1 : 0;
      }
      assertThat(sharedIds).hasSize(1);
      assertThat(created).isEqualTo(1);
      java.util.Set<String> ownIds = new java.util.HashSet<>();
      for (var f : own) {
        SubmitJobResponse r = f.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(r.getCreated()).isTrue();
        ownIds.add(r.getJob().getJobId());
      }
      assertThat(ownIds).hasSize(calls / 2).doesNotContainAnyElementsOf(sharedIds);
      for (String id : ownIds) {
        assertThat(acme.getJob(GetJobRequest.newBuilder().setJobId(id).build()).getSpec().getRequestId())
            .startsWith("burst-");
      }
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void callsWithoutIdentityAreUnauthenticatedAndNodesCannotSubmit() {
    var anonymous = JobServiceGrpc.newBlockingStub(hearth.newChannel(
        TestScheduler.credentials(null, null, TestScheduler.CA.certificatePem())));
    assertThatThrownBy(() -> anonymous.getJob(GetJobRequest.newBuilder().setJobId("job-1").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    assertThatThrownBy(() -> hearth.jobs("node/n1").submitJob(SubmitJobRequest.newBuilder()
        .setSpec(TestScheduler.spec("from-node", "true")).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
  }

  @Test
  void keepsServingAfterEveryRefusal() {
    for (int i = 0; i < 50; i++) {
      JobSpec bad = TestScheduler.spec("bad-" + i, "true").setCores(-i).build();
      assertThatThrownBy(() -> acme.submitJob(SubmitJobRequest.newBuilder().setSpec(bad).build()))
          .isInstanceOf(StatusRuntimeException.class);
    }
    SubmitJobResponse ok = acme.submitJob(SubmitJobRequest.newBuilder()
        .setSpec(TestScheduler.spec("after-the-storm", "true")).build());
    assertThat(ok.getCreated()).isTrue();
    assertThat(acme.getJob(GetJobRequest.newBuilder().setJobId(ok.getJob().getJobId()).build()).getOwner())
        .isEqualTo("acme");
  }
}
