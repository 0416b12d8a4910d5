package io.hearth.scheduler.scheduling;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import io.grpc.stub.ServerCallStreamObserver;
import io.hearth.api.v1.Attempt;
import io.hearth.api.v1.AttemptState;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobEvent;
import io.hearth.api.v1.JobState;
import io.hearth.scheduler.job.JobLifecycle;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Job events over the (clustered) Vert.x event bus: every applied change of a job is published
 * once, and each {@code WatchJobs} stream on any member receives the events of its owner.
 *
 * <p>Events are sent in batches: a member collects the changes it makes for at most
 * {@value #FLUSH_MS} ms (or {@value #FLUSH_BYTES} bytes) and publishes them as one message, in the
 * order they were made. One message per change cost a serialisation, a bus message and a delivery
 * to every consumer on every member for each of the five or so changes of every job. A batch is a
 * sequence of entries {@code [owner length][owner UTF-8][notable][event length][JobEvent]}, so a
 * watcher skips other owners' events, and the dashboard all but the notable ones (an attempt that
 * ended otherwise than SUCCEEDED, a job that FAILED or EXPIRED), without parsing them.
 *
 * <p>Publishing is thread-safe and never blocks; delivery to a watcher runs on an event loop and
 * only hands the event to gRPC's non-blocking {@code onNext}.
 */
public final class JobEvents {

  public static final String ADDRESS = "hearth.jobs.events";
  static final long FLUSH_MS = 20;
  static final int FLUSH_BYTES = 256 * 1024;
  private static final Logger LOG = LoggerFactory.getLogger(JobEvents.class);

  private final Vertx vertx;
  private final Clock clock;
  private Buffer pending = Buffer.buffer();
  private boolean flushScheduled;

  public JobEvents(Vertx vertx, Clock clock) {
    this.vertx = vertx;
    this.clock = clock;
  }

  /** Publishes a change; {@code encoded} is the job's protobuf encoding, as the store wrote it (not encoded again). */
  public void publish(Job job, byte[] encoded) {
    byte[] event = eventBytes(JobLifecycle.timestamp(clock.instant()), encoded);
    byte[] owner = job.getOwner().getBytes(StandardCharsets.UTF_8);
    byte notable = (byte) (notable(job) ? 1 : 0);
    Buffer full = null;
    synchronized (this) {
      pending.appendInt(owner.length).appendBytes(owner).appendByte(notable).appendInt(event.length).appendBytes(event);
      if (pending.length() >= FLUSH_BYTES) {
        full = takePending();
      } else if (!flushScheduled) {
        flushScheduled = true;
        vertx.setTimer(FLUSH_MS, t -> flush());
      }
    }
    if (full != null) {
      vertx.eventBus().publish(ADDRESS, full);
    }
  }

  /**
   * The encoding of {@code JobEvent{time, job}} given the job's own encoding: an embedded message
   * is its tag, its length and its bytes, so the job's bytes are copied as they are.
   */
  static byte[] eventBytes(Timestamp time, byte[] job) {
    int timeSize = time.getSerializedSize();
    byte[] out = new byte[CodedOutputStream.computeTagSize(1) + CodedOutputStream.computeUInt32SizeNoTag(timeSize)
        + timeSize + CodedOutputStream.computeByteArraySize(2, job)];
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    try {
      o.writeMessage(1, time);
      o.writeByteArray(2, job);
    } catch (IOException e) {
      throw new UncheckedIOException("encoding into an array of its exact size", e);
    }
    o.checkNoSpaceLeft();
    return out;
  }

  private void flush() {
    Buffer batch;
    synchronized (this) {
      flushScheduled = false;
      batch = takePending();
    }
    if (batch.length() > 0) {
      vertx.eventBus().publish(ADDRESS, batch);
    }
  }

  private Buffer takePending() {
    Buffer batch = pending;
    pending = Buffer.buffer();
    return batch;
  }

  /**
   * Whether the change is one the dashboard lists: the job's last attempt just ended otherwise
   * than SUCCEEDED, or the job ended FAILED or EXPIRED.
   */
  static boolean notable(Job job) {
    if (job.getState() == JobState.JOB_STATE_FAILED || job.getState() == JobState.JOB_STATE_EXPIRED) {
      return true;
    }
    if (job.getAttemptsCount() == 0) {
      return false;
    }
    Attempt a = job.getAttempts(job.getAttemptsCount() - 1);
    return a.hasEndedAt() && a.getState() != AttemptState.ATTEMPT_STATE_SUCCEEDED && a.getEndedAt().equals(job.getUpdatedAt());
  }

  /**
   * The events of a published batch, of {@code owner} only (null = every owner), in order. An
   * undecodable entry is logged and skipped.
   */
  public static List<JobEvent> decode(Buffer batch, String owner) {
    return decode(batch, owner, false);
  }

  /** As {@link #decode(Buffer, String)}, of the notable changes only when {@code notableOnly}. */
  public static List<JobEvent> decode(Buffer batch, String owner, boolean notableOnly) {
    byte[] wanted = owner == null ? null : owner.getBytes(StandardCharsets.UTF_8);
    List<JobEvent> out = new ArrayList<>();
    int at = 0;
    while (at + 9 <= batch.length()) {
      int ownerLength = batch.getInt(at);
      int eventAt = at + 4 + ownerLength + 1 + 4;
      if (ownerLength < 0 || eventAt > batch.length()) {
        LOG.warn("dropping the rest of a malformed job event batch at byte {}", at);
        break;
      }
      boolean notable = batch.getByte(at + 4 + ownerLength) != 0;
      int eventLength = batch.getInt(at + 4 + ownerLength + 1);
      if (eventLength < 0 || eventAt + eventLength > batch.length()) {
        LOG.warn("dropping the rest of a malformed job event batch at byte {}", at);
        break;
      }
      if ((wanted == null || sameBytes(batch, at + 4, ownerLength, wanted)) && (notable || !notableOnly)) {
        try {
          out.add(JobEvent.parseFrom(batch.getBytes(eventAt, eventAt + eventLength)));
        } catch (InvalidProtocolBufferException e) {
          LOG.warn("dropping an undecodable job event: {}", e.getMessage());
        }
      }
      at = eventAt + eventLength;
    }
    return out;
  }

  private static boolean sameBytes(Buffer b, int at, int length, byte[] wanted) {
    if (length != wanted.length) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      if (b.getByte(at + i) != wanted[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * Streams the events of {@code owner}'s jobs (null = every owner) restricted to {@code onlyJobs}
   * when not empty. Close the returned handle to stop.
   */
  public AutoCloseable subscribe(String owner, Set<String> onlyJobs, ServerCallStreamObserver<JobEvent> stream) {
    MessageConsumer<Buffer> consumer = vertx.eventBus().consumer(ADDRESS, message -> {
      for (JobEvent event : decode(message.body(), owner)) {
        if (!onlyJobs.isEmpty() && !onlyJobs.contains(event.getJob().getJobId())) {
          continue;
        }
        if (stream.isCancelled()) {
          return;
        }
        try {
          stream.onNext(event);
        } catch (RuntimeException e) {
          LOG.debug("watcher went away: {}", e.toString());
          return;
        }
      }
    });
    return consumer::unregister;
  }
}
