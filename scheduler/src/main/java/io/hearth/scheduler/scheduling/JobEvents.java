package io.hearth.scheduler.scheduling;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.stub.ServerCallStreamObserver;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobEvent;
import io.hearth.scheduler.job.JobLifecycle;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import java.time.Clock;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Job events over the (clustered) Vert.x event bus: every applied change of a job is published
 * once, and each {@code WatchJobs} stream on any member receives the events of its owner. Publishing
 * is thread-safe; delivery to a watcher runs on an event loop and only hands the event to gRPC's
 * non-blocking {@code onNext}.
 */
public final class JobEvents {

  public static final String ADDRESS = "hearth.jobs.events";
  private static final String OWNER_HEADER = "owner";
  private static final Logger LOG = LoggerFactory.getLogger(JobEvents.class);

  private final Vertx vertx;
  private final Clock clock;

  public JobEvents(Vertx vertx, Clock clock) {
    this.vertx = vertx;
    this.clock = clock;
  }

  public void publish(Job job) {
    JobEvent event = JobEvent.newBuilder().setTime(JobLifecycle.timestamp(clock.instant())).setJob(job).build();
    vertx.eventBus().publish(ADDRESS, Buffer.buffer(event.toByteArray()),
        new DeliveryOptions().addHeader(OWNER_HEADER, job.getOwner()));
  }

  /**
   * Streams the events of {@code owner}'s jobs (null = every owner) restricted to {@code onlyJobs}
   * when not empty. Close the returned handle to stop.
   */
  public AutoCloseable subscribe(String owner, Set<String> onlyJobs, ServerCallStreamObserver<JobEvent> stream) {
    MessageConsumer<Buffer> consumer = vertx.eventBus().consumer(ADDRESS, message -> {
      if (owner != null && !owner.equals(message.headers().get(OWNER_HEADER))) {
        return;
      }
      JobEvent event;
      try {
        event = JobEvent.parseFrom(message.body().getBytes());
      } catch (InvalidProtocolBufferException e) {
        LOG.warn("dropping an undecodable job event: {}", e.getMessage());
        return;
      }
      if (!onlyJobs.isEmpty() && !onlyJobs.contains(event.getJob().getJobId())) {
        return;
      }
      if (stream.isCancelled()) {
        return;
      }
      try {
        stream.onNext(event);
      } catch (RuntimeException e) {
        LOG.debug("watcher went away: {}", e.toString());
      }
    });
    return consumer::unregister;
  }
}
