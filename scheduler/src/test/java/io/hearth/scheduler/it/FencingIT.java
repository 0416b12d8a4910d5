package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hearth.api.v1.AttemptState;
import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.NodeKind;
import io.hearth.api.v1.SchedulerMessage;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.api.v1.UpdateRejected;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fencing protocol with hand-driven nodes on real streams: only the current attempt's token,
 * from the node that holds it, moves a job; anything else is answered UpdateRejected and changes
 * nothing.
 */
class FencingIT {

  static TestScheduler hearth;
  static JobServiceGrpc.JobServiceBlockingStub acme;

  @BeforeAll
  static void start() {
    hearth = TestScheduler.start(TestScheduler.options().nodeTimeout(Duration.ofSeconds(30)).build());
    acme = hearth.jobs("tenant/acme");
  }

  @AfterAll
  static void stop() {
    hearth.close();
  }

  private static Job get(String id) {
    return acme.getJob(GetJobRequest.newBuilder().setJobId(id).build());
  }

  @Test
  void refusesAStaleFencingTokenAndAcceptsTheCurrentOne() throws Exception {
    try (RawNode node = new RawNode(hearth, "dc-fence-1", "CERTIFIED")) {
      node.send(RawNode.hello("dc-fence-1", NodeKind.NODE_KIND_DATACENTER, SecurityClass.SECURITY_CLASS_CERTIFIED, 8).build());
      node.next(SchedulerMessage.BodyCase.WELCOME, Duration.ofSeconds(10));
      Job job = acme.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec("fence-1", "true")
          .setMinSecurityClass(SecurityClass.SECURITY_CLASS_CERTIFIED)).build()).getJob();

      var assignment = node.next(SchedulerMessage.BodyCase.ASSIGNMENT, Duration.ofSeconds(10)).getAssignment();
      assertThat(assignment.getJobId()).isEqualTo(job.getJobId());
      long token = assignment.getFencingToken();

      node.report(job.getJobId(), token - 1, AttemptState.ATTEMPT_STATE_SUCCEEDED, 0);
      UpdateRejected rejected = node.next(SchedulerMessage.BodyCase.UPDATE_REJECTED, Duration.ofSeconds(10)).getUpdateRejected();
      assertThat(rejected.getFencingToken()).isEqualTo(token - 1);
      assertThat(rejected.getReason()).contains("stale fencing token");
      assertThat(get(job.getJobId()).getState()).isEqualTo(JobState.JOB_STATE_ASSIGNED);

      node.report(job.getJobId(), token, AttemptState.ATTEMPT_STATE_RUNNING, 0);
      node.report(job.getJobId(), token, AttemptState.ATTEMPT_STATE_SUCCEEDED, 0);
      await().atMost(Duration.ofSeconds(10)).until(() -> get(job.getJobId()).getState() == JobState.JOB_STATE_SUCCEEDED);
      Job done = get(job.getJobId());
      assertThat(done.getAttemptsList()).hasSize(1);
      assertThat(done.getAttempts(0).getNodeId()).isEqualTo("dc-fence-1");
      assertThat(done.getAttempts(0).getFencingToken()).isEqualTo(token);
      assertThat(done.getAttempts(0).getState()).isEqualTo(AttemptState.ATTEMPT_STATE_SUCCEEDED);

      // A late duplicate of an ended attempt is refused as well.
      node.report(job.getJobId(), token, AttemptState.ATTEMPT_STATE_FAILED, 1);
      assertThat(node.next(SchedulerMessage.BodyCase.UPDATE_REJECTED, Duration.ofSeconds(10)).getUpdateRejected()
          .getReason()).contains("already ended");
      assertThat(get(job.getJobId()).getState()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
    }
  }

  @Test
  void refusesAReportFromANodeThatDoesNotHoldTheAttempt() throws Exception {
    try (RawNode holder = new RawNode(hearth, "dc-fence-2", "CERTIFIED");
        RawNode intruder = new RawNode(hearth, "dc-fence-3", "OPEN")) {
      holder.send(RawNode.hello("dc-fence-2", NodeKind.NODE_KIND_DATACENTER, SecurityClass.SECURITY_CLASS_CERTIFIED, 8)
          .setRegion("only-here").build());
      holder.next(SchedulerMessage.BodyCase.WELCOME, Duration.ofSeconds(10));
      intruder.send(RawNode.hello("dc-fence-3", NodeKind.NODE_KIND_DATACENTER, SecurityClass.SECURITY_CLASS_OPEN, 8).build());
      intruder.next(SchedulerMessage.BodyCase.WELCOME, Duration.ofSeconds(10));
      Job job = acme.submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec("fence-2", "true")
          .addAllowedRegions("only-here")).build()).getJob();
      long token = holder.next(SchedulerMessage.BodyCase.ASSIGNMENT, Duration.ofSeconds(10)).getAssignment().getFencingToken();

      intruder.report(job.getJobId(), token, AttemptState.ATTEMPT_STATE_SUCCEEDED, 0);
      assertThat(intruder.next(SchedulerMessage.BodyCase.UPDATE_REJECTED, Duration.ofSeconds(10)).getUpdateRejected()
          .getReason()).contains("another node");
      assertThat(get(job.getJobId()).getState()).isEqualTo(JobState.JOB_STATE_ASSIGNED);
    }
  }

  @Test
  void aNodeCannotSpeakForAnotherNode() throws Exception {
    try (RawNode liar = new RawNode(hearth, "dc-fence-4", "OPEN")) {
      liar.send(RawNode.hello("somebody-else", NodeKind.NODE_KIND_DATACENTER, SecurityClass.SECURITY_CLASS_OPEN, 4).build());
      await().atMost(Duration.ofSeconds(10)).until(() -> liar.error != null);
      assertThat(io.grpc.Status.fromThrowable(liar.error).getCode()).isEqualTo(io.grpc.Status.Code.PERMISSION_DENIED);
      assertThat(io.grpc.Status.fromThrowable(liar.error).getDescription()).contains("hello.node_id");
    }
  }

  @Test
  void refusesAHelloOutOfBoundsNamingTheField() throws Exception {
    try (RawNode bad = new RawNode(hearth, "dc-fence-5", "OPEN")) {
      bad.send(RawNode.hello("dc-fence-5", NodeKind.NODE_KIND_DATACENTER, SecurityClass.SECURITY_CLASS_OPEN, 0).build());
      await().atMost(Duration.ofSeconds(10)).until(() -> bad.error != null);
      assertThat(io.grpc.Status.fromThrowable(bad.error).getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
      assertThat(io.grpc.Status.fromThrowable(bad.error).getDescription()).isEqualTo("hello.cores: 0 (expected: 1..1024)");
    }
  }
}
