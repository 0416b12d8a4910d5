package io.hearth.scheduler.scheduling;

import com.google.protobuf.InvalidProtocolBufferException;
import io.hearth.api.v1.LogChunk;
import io.hearth.api.v1.LogChunkReply;
import io.hearth.api.v1.LogRequest;
import io.hearth.api.v1.SchedulerMessage;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Job logs fetched from the node that ran the attempt. The member holding a node's stream listens
 * on the clustered event bus at {@value #PREFIX}{@code <node id>} while the stream is open; any
 * member asks there ({@link #fetch}), the holder sends the node a {@code LogRequest} and answers
 * with the node's {@code LogChunkReply}. Nobody listening means the node is not connected; a node
 * that does not answer within the deadline fails the request.
 *
 * <p>Threading: {@link #attach}, {@link #detach} and {@link #replied} are called on a node
 * stream's thread, the event-bus handler runs on an event loop; none of them blocks.
 */
public final class NodeLogs {

  private static final Logger LOG = LoggerFactory.getLogger(NodeLogs.class);
  static final String PREFIX = "hearth.logs.node.";
  static final int NOT_FOUND = 404;
  static final int GONE = 503;

  /** Why a fetch failed: the log or attempt is unknown to the node, or the node cannot be reached. */
  public static final class Failure extends RuntimeException {
    private final boolean notFound;

    Failure(boolean notFound, String message) {
      super(message, null, false, false);
      this.notFound = notFound;
    }

    public boolean notFound() {
      return notFound;
    }
  }

  private record Pending(NodeSession session, Message<Buffer> message, long timer) {}

  private final Vertx vertx;
  private final EventBus bus;
  private final String memberId;
  private final long timeoutMs;
  private final AtomicLong ids = new AtomicLong();
  private final Map<NodeSession, MessageConsumer<Buffer>> consumers = new ConcurrentHashMap<>();
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();

  public NodeLogs(Vertx vertx, String memberId, long timeoutMs) {
    this.vertx = vertx;
    this.bus = vertx.eventBus();
    this.memberId = memberId;
    this.timeoutMs = timeoutMs;
  }

  /** How long a fetch waits for the node's answer. */
  public long timeoutMs() {
    return timeoutMs;
  }

  /** A node said hello on a stream of this member: serve its log requests. */
  public void attach(NodeSession session) {
    consumers.put(session, bus.consumer(PREFIX + session.nodeId(), m -> ask(session, m)));
  }

  /** The node's stream ended: stop listening and fail what it was still asked. */
  public void detach(NodeSession session) {
    MessageConsumer<Buffer> c = consumers.remove(session);
    if (c != null) {
      c.unregister();
    }
    pending.entrySet().removeIf(e -> {
      if (e.getValue().session() != session) {
        return false;
      }
      vertx.cancelTimer(e.getValue().timer());
      e.getValue().message().fail(GONE, "node " + session.nodeId() + " disconnected before it answered");
      return true;
    });
  }

  private void ask(NodeSession session, Message<Buffer> m) {
    LogRequest request;
    try {
      request = LogRequest.parseFrom(m.body().getBytes());
    } catch (InvalidProtocolBufferException e) {
      m.fail(400, "undecodable log request");
      return;
    }
    String id = memberId + "-" + ids.incrementAndGet();
    long timer = vertx.setTimer(timeoutMs, t -> {
      Pending p = pending.remove(id);
      if (p != null) {
        p.message().fail(GONE, "node " + session.nodeId() + " did not answer within " + timeoutMs + " ms");
      }
    });
    pending.put(id, new Pending(session, m, timer));
    if (!session.send(SchedulerMessage.newBuilder().setLogRequest(request.toBuilder().setRequestId(id)).build())) {
      if (pending.remove(id) != null) {
        vertx.cancelTimer(timer);
        m.fail(GONE, "node " + session.nodeId() + " is not connected");
      }
    }
  }

  /** A node answered a log request; answers to requests it was not sent are ignored. */
  public void replied(NodeSession session, LogChunkReply reply) {
    Pending p = pending.get(reply.getRequestId());
    if (p == null || p.session() != session || !pending.remove(reply.getRequestId(), p)) {
      LOG.debug("node {} answered unknown log request '{}'", session.nodeId(), reply.getRequestId());
      return;
    }
    vertx.cancelTimer(p.timer());
    if (!reply.getError().isEmpty() || !reply.hasChunk()) {
      p.message().fail(NOT_FOUND, reply.getError().isEmpty() ? "node sent no chunk" : reply.getError());
    } else {
      p.message().reply(Buffer.buffer(reply.getChunk().toByteArray()));
    }
  }

  /** Asks the node's holder for one chunk; fails with a {@link Failure}. */
  public CompletableFuture<LogChunk> fetch(String nodeId, LogRequest request) {
    CompletableFuture<LogChunk> out = new CompletableFuture<>();
    bus.<Buffer>request(PREFIX + nodeId, Buffer.buffer(request.toByteArray()),
        new DeliveryOptions().setSendTimeout(timeoutMs + 2_000)).onComplete(ar -> {
          if (ar.succeeded()) {
            try {
              out.complete(LogChunk.parseFrom(ar.result().body().getBytes()));
            } catch (InvalidProtocolBufferException e) {
              out.completeExceptionally(new Failure(false, "node " + nodeId + " sent an undecodable log chunk"));
            }
            return;
          }
          Throwable e = ar.cause();
          if (e instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
            out.completeExceptionally(new Failure(false, "node " + nodeId
                + " is not connected to any scheduler member; its logs can be read once it reconnects"));
          } else if (e instanceof ReplyException re && re.failureType() == ReplyFailure.TIMEOUT) {
            out.completeExceptionally(new Failure(false, "node " + nodeId + " did not answer within " + timeoutMs + " ms"));
          } else if (e instanceof ReplyException re && re.failureCode() == NOT_FOUND) {
            out.completeExceptionally(new Failure(true, "node " + nodeId + ": " + re.getMessage()));
          } else {
            out.completeExceptionally(new Failure(false, e.getMessage()));
          }
        });
    return out;
  }
}
