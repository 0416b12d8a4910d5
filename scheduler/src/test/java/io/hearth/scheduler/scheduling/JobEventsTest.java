package io.hearth.scheduler.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Timestamp;
import io.hearth.api.v1.Attempt;
import io.hearth.api.v1.AttemptState;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobEvent;
import io.hearth.api.v1.JobState;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class JobEventsTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  /** As the store hands a change over: the job and its encoding. */
  private static void publish(JobEvents events, Job job) {
    events.publish(job, job.toByteArray());
  }

  private static Job job(String id, String owner, JobState state) {
    return Job.newBuilder().setJobId(id).setOwner(owner).setState(state).build();
  }

  @Test
  void anEventBuiltFromTheJobsStoredBytesIsTheSameAsOneEncodedWhole() throws Exception {
    Timestamp time = Timestamp.newBuilder().setSeconds(1_795_000_000L).setNanos(123).build();
    Job full = job("job-7", "tenant/a", JobState.JOB_STATE_RUNNING).toBuilder()
        .setStateReason("r".repeat(300)) // lengths past one varint byte
        .addAttempts(Attempt.newBuilder().setNumber(1).setNodeId("n-1").setState(AttemptState.ATTEMPT_STATE_RUNNING))
        .build();
    for (Job j : List.of(full, Job.getDefaultInstance())) {
      io.hearth.api.v1.JobEvent whole = JobEvent.newBuilder().setTime(time).setJob(j).build();
      byte[] built = JobEvents.eventBytes(time, j.toByteArray());
      assertThat(built).isEqualTo(whole.toByteArray());
      assertThat(JobEvent.parseFrom(built)).isEqualTo(whole);
    }
    assertThat(JobEvents.eventBytes(Timestamp.getDefaultInstance(), new byte[0]))
        .isEqualTo(JobEvent.newBuilder().setTime(Timestamp.getDefaultInstance())
            .setJob(Job.getDefaultInstance()).build().toByteArray());
  }

  @Test
  void changesMadeTogetherArriveAsOneMessageInTheirOrder() {
    List<Buffer> messages = new CopyOnWriteArrayList<>();
    vertx.eventBus().<Buffer>consumer(JobEvents.ADDRESS, m -> messages.add(m.body())).completion().await();
    JobEvents events = new JobEvents(vertx, Clock.systemUTC());

    publish(events, job("job-1", "tenant/a", JobState.JOB_STATE_QUEUED));
    publish(events, job("job-2", "tenant/b", JobState.JOB_STATE_QUEUED));
    publish(events, job("job-1", "tenant/a", JobState.JOB_STATE_ASSIGNED));

    await().atMost(Duration.ofSeconds(5)).until(() -> !messages.isEmpty());
    assertThat(messages).hasSize(1);
    assertThat(JobEvents.decode(messages.get(0), null)).extracting(e -> e.getJob().getJobId() + " " + e.getJob().getState())
        .containsExactly("job-1 JOB_STATE_QUEUED", "job-2 JOB_STATE_QUEUED", "job-1 JOB_STATE_ASSIGNED");
    assertThat(JobEvents.decode(messages.get(0), "tenant/a")).extracting(e -> e.getJob().getState())
        .containsExactly(JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_ASSIGNED);
    assertThat(JobEvents.decode(messages.get(0), "tenant/c")).isEmpty();
  }

  @Test
  void aBatchOverTheByteBoundIsSentAtOnceAndNothingIsLost() {
    List<Buffer> messages = new CopyOnWriteArrayList<>();
    vertx.eventBus().<Buffer>consumer(JobEvents.ADDRESS, m -> messages.add(m.body())).completion().await();
    JobEvents events = new JobEvents(vertx, Clock.systemUTC());
    String big = "x".repeat(10_000);
    int n = 2 * JobEvents.FLUSH_BYTES / big.length() + 3;
    for (int i = 0; i < n; i++) {
      publish(events, job("job-" + i, "tenant/a", JobState.JOB_STATE_QUEUED).toBuilder().setStateReason(big).build());
    }

    await().atMost(Duration.ofSeconds(5)).until(() -> messages.stream().mapToInt(b -> JobEvents.decode(b, null).size()).sum() == n);
    assertThat(messages.size()).isGreaterThanOrEqualTo(3);
    List<String> ids = messages.stream().flatMap(b -> JobEvents.decode(b, null).stream()).map(e -> e.getJob().getJobId()).toList();
    assertThat(ids).hasSize(n).startsWith("job-0", "job-1").endsWith("job-" + (n - 1));
  }

  @Test
  void theDashboardReadsOnlyTheChangesItLists() {
    List<Buffer> messages = new CopyOnWriteArrayList<>();
    vertx.eventBus().<Buffer>consumer(JobEvents.ADDRESS, m -> messages.add(m.body())).completion().await();
    JobEvents events = new JobEvents(vertx, Clock.systemUTC());
    Timestamp t1 = Timestamp.newBuilder().setSeconds(100).build();
    Timestamp t2 = Timestamp.newBuilder().setSeconds(200).build();
    io.hearth.api.v1.Attempt ok = io.hearth.api.v1.Attempt.newBuilder().setNumber(1)
        .setState(io.hearth.api.v1.AttemptState.ATTEMPT_STATE_SUCCEEDED).setEndedAt(t1).build();
    io.hearth.api.v1.Attempt lost = ok.toBuilder().setState(io.hearth.api.v1.AttemptState.ATTEMPT_STATE_LOST).build();

    publish(events, job("job-ok", "o", JobState.JOB_STATE_SUCCEEDED).toBuilder().addAttempts(ok).setUpdatedAt(t1).build());
    publish(events, job("job-lost", "o", JobState.JOB_STATE_QUEUED).toBuilder().addAttempts(lost).setUpdatedAt(t1).build());
    publish(events, job("job-lost-later", "o", JobState.JOB_STATE_QUEUED).toBuilder().addAttempts(lost).setUpdatedAt(t2).build());
    publish(events, job("job-failed", "o", JobState.JOB_STATE_FAILED));
    publish(events, job("job-expired", "o", JobState.JOB_STATE_EXPIRED));

    await().atMost(Duration.ofSeconds(5)).until(() -> !messages.isEmpty());
    assertThat(JobEvents.decode(messages.get(0), null, true)).extracting(e -> e.getJob().getJobId())
        .containsExactly("job-lost", "job-failed", "job-expired");
    assertThat(JobEvents.decode(messages.get(0), null)).hasSize(5);
  }

  @Test
  void aTruncatedBatchYieldsTheEventsBeforeTheDamage() {
    Buffer batch = Buffer.buffer();
    for (String id : List.of("job-1", "job-2")) {
      byte[] event = JobEvent.newBuilder().setJob(job(id, "o", JobState.JOB_STATE_QUEUED)).build().toByteArray();
      batch.appendInt(1).appendString("o").appendByte((byte) 0).appendInt(event.length).appendBytes(event);
    }
    Buffer cut = batch.getBuffer(0, batch.length() - 3);

    assertThat(JobEvents.decode(cut, null)).extracting(e -> e.getJob().getJobId()).containsExactly("job-1");
    assertThat(JobEvents.decode(Buffer.buffer().appendInt(-5).appendInt(0), null)).isEmpty();
  }
}
