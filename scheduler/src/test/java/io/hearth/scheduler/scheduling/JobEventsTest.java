package io.hearth.scheduler.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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

  private static Job job(String id, String owner, JobState state) {
    return Job.newBuilder().setJobId(id).setOwner(owner).setState(state).build();
  }

  @Test
  void changesMadeTogetherArriveAsOneMessageInTheirOrder() {
    List<Buffer> messages = new CopyOnWriteArrayList<>();
    vertx.eventBus().<Buffer>consumer(JobEvents.ADDRESS, m -> messages.add(m.body())).completion().await();
    JobEvents events = new JobEvents(vertx, Clock.systemUTC());

    events.publish(job("job-1", "tenant/a", JobState.JOB_STATE_QUEUED));
    events.publish(job("job-2", "tenant/b", JobState.JOB_STATE_QUEUED));
    events.publish(job("job-1", "tenant/a", JobState.JOB_STATE_ASSIGNED));

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
      events.publish(job("job-" + i, "tenant/a", JobState.JOB_STATE_QUEUED).toBuilder().setStateReason(big).build());
    }

    await().atMost(Duration.ofSeconds(5)).until(() -> messages.stream().mapToInt(b -> JobEvents.decode(b, null).size()).sum() == n);
    assertThat(messages.size()).isGreaterThanOrEqualTo(3);
    List<String> ids = messages.stream().flatMap(b -> JobEvents.decode(b, null).stream()).map(e -> e.getJob().getJobId()).toList();
    assertThat(ids).hasSize(n).startsWith("job-0", "job-1").endsWith("job-" + (n - 1));
  }

  @Test
  void aTruncatedBatchYieldsTheEventsBeforeTheDamage() {
    Buffer batch = Buffer.buffer();
    for (String id : List.of("job-1", "job-2")) {
      byte[] event = JobEvent.newBuilder().setJob(job(id, "o", JobState.JOB_STATE_QUEUED)).build().toByteArray();
      batch.appendInt(1).appendString("o").appendInt(event.length).appendBytes(event);
    }
    Buffer cut = batch.getBuffer(0, batch.length() - 3);

    assertThat(JobEvents.decode(cut, null)).extracting(e -> e.getJob().getJobId()).containsExactly("job-1");
    assertThat(JobEvents.decode(Buffer.buffer().appendInt(-5).appendInt(0), null)).isEmpty();
  }
}
