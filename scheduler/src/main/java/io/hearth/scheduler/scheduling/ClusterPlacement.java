package io.hearth.scheduler.scheduling;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.hearth.api.v1.Hello;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.SchedulerMessage;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Placement across the members of a cluster. Every member serves the API and holds node streams;
 * only the leader runs a {@link Placer}. The API calls this class as it would call a local placer:
 * on the leader the calls go straight to its placer, on another member they travel to the leader
 * over the clustered event bus, to the leader's own address ({@value #LEADER}{@code .<member id>}, so a
 * message never goes to a dead leader's registration while the bus forgets it): job(s) submitted, attempt ended, job cancelled (asked
 * with a reply and retried, so a notice survives a leader change), node hello and goodbye, and node
 * telemetry batched per member. The leader reaches a node held by another member through a
 * {@link NodeSession} whose stream relays assignments, cancellations and closes to that member's
 * address ({@value #MEMBER_PREFIX}{@code <member id>}), which writes them to the node's stream.
 * Reports from a node are applied on the member that holds its stream (compare-and-set and fencing
 * in the job store make that safe on any member).
 *
 * <p>A member that becomes leader starts a placer that rebuilds its state from the shared job state,
 * hands it the member's own node streams, then asks every member to announce theirs again
 * ({@value #ANNOUNCE}); a member whose telemetry names a node the leader never heard of is asked
 * to announce again (its hello was sent while no leader listened). While leading it also rescans
 * the queue now and then, in case a notice was lost in a failover.
 *
 * <p>Threading: the public calls are thread-safe and never block; event-bus handlers run on an
 * event loop and only hand work to the placer's thread or to a gRPC stream's (serialized) send.
 */
public final class ClusterPlacement implements AutoCloseable, io.hearth.scheduler.cluster.Leadership.Listener {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterPlacement.class);

  static final String LEADER = "hearth.placement.leader";
  static final String MEMBER_PREFIX = "hearth.placement.member.";
  static final String ANNOUNCE = "hearth.placement.announce";
  private static final long NOTICE_TIMEOUT_MS = 2_000;
  private static final long NOTICE_RETRY_MS = 250;
  private static final long NOTICE_GIVE_UP_MS = 60_000;
  private static final long RESCAN_MS = 10_000;

  private final Vertx vertx;
  private final EventBus bus;
  private final String memberId;
  /** Where notices to the leader go: the current leader's own address (a dead end while none leads). */
  private volatile String leaderAddress = LEADER + ".none";
  private final Supplier<Placer> placers;
  private final long telemetryBatchMs;
  private final MessageConsumer<Buffer> memberConsumer;
  private final MessageConsumer<Buffer> announceConsumer;
  private final long batchTimer;
  private final AtomicLong serials = new AtomicLong();
  /** This member's node streams, by serial. */
  private final Map<Long, NodeSession> local = new ConcurrentHashMap<>();
  /** Serials of this member's streams, by session. */
  private final Map<NodeSession, Long> serialOf = new ConcurrentHashMap<>();
  /** On the leader: relays to nodes held by other members, by member id + "/" + serial. */
  private final Map<String, NodeSession> remote = new ConcurrentHashMap<>();

  private final Object transition = new Object();
  private volatile Placer leader;
  private MessageConsumer<Buffer> leaderConsumer;
  private long rescanTimer = -1;

  public ClusterPlacement(Vertx vertx, String memberId, Duration telemetryInterval, Supplier<Placer> placers) {
    this.vertx = vertx;
    this.bus = vertx.eventBus();
    this.memberId = memberId;
    this.placers = placers;
    this.telemetryBatchMs = Math.max(50, Math.min(1_000, telemetryInterval.toMillis()));
    this.memberConsumer = bus.consumer(MEMBER_PREFIX + memberId, this::onMemberMessage);
    this.announceConsumer = bus.consumer(ANNOUNCE, this::announceTo);
    this.batchTimer = vertx.setPeriodic(telemetryBatchMs, t -> sendTelemetryBatch());
    await(memberConsumer.completion());
    await(announceConsumer.completion());
  }

  /** This member's id in the cluster (its Vert.x / Hazelcast node id). */
  public String memberId() {
    return memberId;
  }

  /** Whether this member places now. */
  public boolean isLeader() {
    return leader != null;
  }

  // ---------------------------------------------------------------- leadership

  /** Where notices to the leader go from now on; called by {@code Leadership}. */
  @Override
  public void leaderIs(java.util.UUID leader) {
    leaderAddress = LEADER + "." + (leader == null ? "none" : leader.toString());
  }

  /** Starts or stops this member's placer; called in order by {@code Leadership}, may block. */
  @Override
  public void leadershipChanged(boolean leading) {
    synchronized (transition) {
      if (leading && leader == null) {
        long t0 = System.nanoTime();
        Placer placer = placers.get();
        placer.start();
        for (NodeSession s : local.values()) {
          // These streams said hello long ago: their attempt lists are out of date.
          s.takeFreshHello();
          placer.connected(s);
        }
        leader = placer;
        leaderConsumer = bus.consumer(LEADER + "." + memberId, this::onLeaderMessage);
        await(leaderConsumer.completion());
        rescanTimer = vertx.setPeriodic(RESCAN_MS, t -> {
          Placer p = leader;
          if (p != null) {
            p.rescanQueued();
          }
        });
        bus.publish(ANNOUNCE, Buffer.buffer(), new DeliveryOptions().addHeader("leader", memberId));
        LOG.info("this member leads placement now (took {} ms to take over)",
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
      } else if (!leading && leader != null) {
        stopLeading();
        LOG.warn("this member no longer leads placement");
      }
    }
  }

  private void stopLeading() {
    Placer p = leader;
    leader = null;
    if (leaderConsumer != null) {
      try {
        leaderConsumer.unregister();
      } catch (RuntimeException e) {
        LOG.debug("closing after Vert.x: {}", e.toString());
      }
      leaderConsumer = null;
    }
    if (rescanTimer >= 0) {
      vertx.cancelTimer(rescanTimer);
      rescanTimer = -1;
    }
    if (p != null) {
      p.close();
    }
    remote.clear();
  }

  // ---------------------------------------------------------------- calls from the API

  /** A job was accepted. */
  public void submitted(Job job) {
    Placer p = leader;
    if (p != null) {
      p.submitted(job);
    } else {
      notice("submitted", Buffer.buffer(job.toByteArray()), new DeliveryOptions());
    }
  }

  /** Jobs were accepted or released together (an array's instances): one notice for all. */
  public void submitted(java.util.List<Job> jobs) {
    Placer p = leader;
    if (p != null) {
      p.submitted(jobs);
    } else {
      Buffer body = Buffer.buffer();
      for (Job j : jobs) {
        byte[] b = j.toByteArray();
        body.appendInt(b.length).appendBytes(b);
      }
      notice("submitted-many", body, new DeliveryOptions());
    }
  }

  /** A node's report ended an attempt. */
  public void attemptEnded(long token, Job after) {
    Placer p = leader;
    if (p != null) {
      p.attemptEnded(token, after);
    } else {
      notice("ended", Buffer.buffer(after.toByteArray()), new DeliveryOptions().addHeader("token", Long.toString(token)));
    }
  }

  /** A job was cancelled. */
  public void cancelled(Job before, Job after) {
    Placer p = leader;
    if (p != null) {
      p.cancelled(before, after);
    } else {
      byte[] b = before.toByteArray();
      notice("cancelled", Buffer.buffer().appendInt(b.length).appendBytes(b).appendBytes(after.toByteArray()),
          new DeliveryOptions());
    }
  }

  /** A node said hello on a stream this member holds. */
  public void connected(NodeSession session) {
    long serial = serials.incrementAndGet();
    local.put(serial, session);
    serialOf.put(session, serial);
    Placer p = leader;
    if (p != null) {
      p.connected(session);
    } else {
      sendHello(serial, session, true);
    }
  }

  /** A node's stream on this member ended. */
  public void disconnected(NodeSession session) {
    Long serial = serialOf.remove(session);
    if (serial != null) {
      local.remove(serial);
    }
    Placer p = leader;
    if (p != null) {
      p.disconnected(session);
    } else {
      session.markClosed();
      if (serial != null) {
        bus.send(leaderAddress, Buffer.buffer(), new DeliveryOptions().addHeader("op", "bye")
            .addHeader("member", memberId).addHeader("serial", Long.toString(serial)));
      }
    }
  }

  /** A telemetry report was recorded on a session of this member. */
  public void telemetry(NodeSession session, boolean firstSinceDrain) {
    Placer p = leader;
    if (p != null) {
      p.telemetry(session, firstSinceDrain);
    }
    // Otherwise the next batch carries it to the leader.
  }

  /** A node reported the energy of an attempt the leader had already ended. */
  public void energyReported(long token, Job after) {
    Placer p = leader;
    if (p != null) {
      p.energyReported(token, after);
    } else {
      notice("energy", Buffer.buffer(after.toByteArray()), new DeliveryOptions().addHeader("token", Long.toString(token)));
    }
  }

  /** Idle heat capacity for donation offers, from the leader's placer (asked over the event bus here). */
  public java.util.concurrent.CompletableFuture<io.hearth.scheduler.donation.DonationLedger.Capacity> donationCapacity() {
    Placer p = leader;
    if (p != null) {
      return p.donationCapacity();
    }
    java.util.concurrent.CompletableFuture<io.hearth.scheduler.donation.DonationLedger.Capacity> out =
        new java.util.concurrent.CompletableFuture<>();
    bus.<Buffer>request(leaderAddress, Buffer.buffer(), new DeliveryOptions().addHeader("op", "capacity")
        .setSendTimeout(NOTICE_TIMEOUT_MS)).onComplete(ar -> {
          if (ar.failed()) {
            out.completeExceptionally(ar.cause());
          } else {
            Buffer b = ar.result().body();
            out.complete(new io.hearth.scheduler.donation.DonationLedger.Capacity(b.getDouble(0),
                b.getString(8, b.length(), "UTF-8")));
          }
        });
    return out;
  }

  /** Drains or undrains a node on the leader; false when the leader does not know the node. */
  public java.util.concurrent.CompletableFuture<Boolean> setDrained(String nodeId, boolean drained) {
    Placer p = leader;
    if (p != null) {
      return p.setDrained(nodeId, drained);
    }
    java.util.concurrent.CompletableFuture<Boolean> out = new java.util.concurrent.CompletableFuture<>();
    bus.<Buffer>request(leaderAddress, Buffer.buffer(nodeId), new DeliveryOptions().addHeader("op", "drain")
        .addHeader("drained", Boolean.toString(drained)).setSendTimeout(NOTICE_TIMEOUT_MS)).onComplete(ar -> {
          if (ar.failed()) {
            out.completeExceptionally(ar.cause());
          } else {
            out.complete(ar.result().body().getByte(0) == 1);
          }
        });
    return out;
  }

  /**
   * The fleet as the leader's placer sees it, for the dashboard and AdminService; on other members
   * an empty snapshot (their dashboards show the cluster-wide job counts only).
   */
  public java.util.concurrent.CompletableFuture<FleetSnapshot> snapshot() {
    Placer p = leader;
    return p != null ? p.snapshot() : java.util.concurrent.CompletableFuture.completedFuture(FleetSnapshot.EMPTY);
  }

  /** The fleet as the leader's placer sees it; empty on other members. */
  public Placer.FleetView view() {
    Placer p = leader;
    return p != null ? p.view() : Placer.FleetView.EMPTY;
  }

  // ---------------------------------------------------------------- follower side

  /** Sends a notice to the leader and retries until one acknowledges it (or a minute passes). */
  private void notice(String op, Buffer body, DeliveryOptions options) {
    options.addHeader("op", op);
    deliver(body, options, () -> true, () -> handleNotice(op, options.getHeaders().get("token"), body),
        "the leader's queue rescan will find the job");
  }

  /**
   * Tells the leader of a node stream held here. Sent with a reply and retried like a notice: right
   * after a failover this member may name a leader whose event-bus registration it has not seen
   * yet, and a plain send to it would be dropped (that node would stay unknown to the leader until
   * its next telemetry). Stops once the stream has ended; when this member comes to lead, its
   * placer takes its own streams from {@link #leadershipChanged}.
   */
  private void sendHello(long serial, NodeSession s, boolean fresh) {
    DeliveryOptions options = new DeliveryOptions().addHeader("op", "hello").addHeader("member", memberId)
        .addHeader("serial", Long.toString(serial)).addHeader("class", Integer.toString(s.securityClass()))
        .addHeader("fresh", Boolean.toString(fresh));
    deliver(Buffer.buffer(s.hello().toByteArray()), options, () -> s.isOpen() && local.get(serial) == s, () -> { },
        "node " + s.nodeId() + "'s next telemetry asks for it again");
  }

  /**
   * Requests {@code body} of the leader, again every {@value #NOTICE_RETRY_MS} ms to whichever
   * member leads by then, until one answers, {@code wanted} turns false, or a minute passes; if this
   * member comes to lead meanwhile, {@code ifLeadingHere} runs instead.
   */
  private void deliver(Buffer body, DeliveryOptions options, java.util.function.BooleanSupplier wanted,
      Runnable ifLeadingHere, String ifGivenUp) {
    options.setSendTimeout(NOTICE_TIMEOUT_MS);
    attempt(body, options, wanted, ifLeadingHere, ifGivenUp,
        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(NOTICE_GIVE_UP_MS));
  }

  private void attempt(Buffer body, DeliveryOptions options, java.util.function.BooleanSupplier wanted,
      Runnable ifLeadingHere, String ifGivenUp, long giveUpAt) {
    if (leader != null) {
      ifLeadingHere.run();
      return;
    }
    if (!wanted.getAsBoolean()) {
      return;
    }
    bus.request(leaderAddress, body, options).onFailure(e -> {
      if (System.nanoTime() - giveUpAt > 0) {
        LOG.warn("no leader took a '{}' message within {} ms ({}); {}", options.getHeaders().get("op"),
            NOTICE_GIVE_UP_MS, e.getMessage(), ifGivenUp);
        return;
      }
      vertx.setTimer(NOTICE_RETRY_MS, t -> attempt(body, options, wanted, ifLeadingHere, ifGivenUp, giveUpAt));
    });
  }

  /**
   * A leader asks for this member's node streams and names itself: it may be known here before
   * this member's own view of the cluster has caught up, so the hellos go to the address it names.
   */
  private void announceTo(Message<Buffer> m) {
    String from = m.headers().get("leader");
    if (from != null) {
      leaderAddress = LEADER + "." + from;
    }
    announce();
  }

  /** The new leader asks for every node stream: say hello for each again, with its telemetry. */
  private void announce() {
    if (leader != null) {
      return;
    }
    for (Map.Entry<Long, NodeSession> e : local.entrySet()) {
      if (e.getValue().isOpen()) {
        sendHello(e.getKey(), e.getValue(), false);
      }
    }
    sendTelemetryBatch(true);
  }

  private void sendTelemetryBatch() {
    sendTelemetryBatch(false);
  }

  private void sendTelemetryBatch(boolean all) {
    if (leader != null || local.isEmpty()) {
      return;
    }
    Buffer batch = Buffer.buffer();
    for (Map.Entry<Long, NodeSession> e : local.entrySet()) {
      NodeSession s = e.getValue();
      if (s.clearDirty() || all) {
        batch.appendLong(e.getKey()).appendDouble(s.heatDemandWatts()).appendDouble(s.computeDrawWatts())
            .appendDouble(s.insideTemperatureC()).appendDouble(s.outdoorTemperatureC()).appendLong(s.lastSeenMillis())
            .appendDouble(s.forecastRaw()).appendInt(s.throttledCores());
      }
    }
    if (batch.length() > 0) {
      bus.send(leaderAddress, batch, new DeliveryOptions().addHeader("op", "telemetry").addHeader("member", memberId));
    }
  }

  /** The leader writes to, or closes, a node stream this member holds. */
  private void onMemberMessage(Message<Buffer> m) {
    String op = m.headers().get("op");
    if ("announce".equals(op)) {
      announceTo(m);
      return;
    }
    NodeSession s = local.get(Long.parseLong(m.headers().get("serial")));
    if (s == null) {
      return;
    }
    if ("send".equals(op)) {
      try {
        s.send(SchedulerMessage.parseFrom(m.body().getBytes()));
      } catch (InvalidProtocolBufferException e) {
        LOG.warn("dropping an undecodable message for node {}: {}", s.nodeId(), e.getMessage());
      }
    } else if ("close".equals(op)) {
      s.close(Status.fromCodeValue(Integer.parseInt(m.headers().get("code"))).withDescription(m.headers().get("why")));
    }
  }

  // ---------------------------------------------------------------- leader side

  private void onLeaderMessage(Message<Buffer> m) {
    Placer p = leader;
    if (p == null) {
      m.fail(503, "not the leader");
      return;
    }
    String op = m.headers().get("op");
    try {
      switch (op) {
        case "hello" -> {
          remoteHello(p, m);
          m.reply(Buffer.buffer());
        }
        case "bye" -> {
          NodeSession s = remote.remove(m.headers().get("member") + "/" + m.headers().get("serial"));
          if (s != null) {
            p.disconnected(s);
          }
        }
        case "telemetry" -> remoteTelemetry(p, m);
        case "capacity" -> p.donationCapacity().whenComplete((c, e) -> {
          if (e != null) {
            m.fail(500, e.toString());
          } else {
            m.reply(Buffer.buffer().appendDouble(c.cores()).appendString(c.basis(), "UTF-8"));
          }
        });
        case "drain" -> p.setDrained(m.body().toString(), Boolean.parseBoolean(m.headers().get("drained")))
            .whenComplete((known, e) -> {
              if (e != null) {
                m.fail(500, e.toString());
              } else {
                m.reply(Buffer.buffer().appendByte((byte) (known ? 1 : 0)));
              }
            });
        default -> {
          handleNotice(op, m.headers().get("token"), m.body());
          m.reply(Buffer.buffer());
        }
      }
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      LOG.warn("dropping a '{}' message from member {}: {}", op, m.headers().get("member"), e.toString());
      if (m.replyAddress() != null) {
        m.fail(500, e.toString());
      }
    }
  }

  private void handleNotice(String op, String token, Buffer body) {
    Placer p = leader;
    try {
      switch (op) {
        case "submitted" -> p.submitted(Job.parseFrom(body.getBytes()));
        case "submitted-many" -> {
          java.util.List<Job> jobs = new java.util.ArrayList<>();
          for (int at = 0; at < body.length(); ) {
            int n = body.getInt(at);
            jobs.add(Job.parseFrom(body.getBytes(at + 4, at + 4 + n)));
            at += 4 + n;
          }
          p.submitted(jobs);
        }
        case "ended" -> p.attemptEnded(Long.parseLong(token), Job.parseFrom(body.getBytes()));
        case "energy" -> p.energyReported(Long.parseLong(token), Job.parseFrom(body.getBytes()));
        case "cancelled" -> {
          int n = body.getInt(0);
          p.cancelled(Job.parseFrom(body.getBytes(4, 4 + n)), Job.parseFrom(body.getBytes(4 + n, body.length())));
        }
        default -> LOG.warn("unknown placement notice '{}'", op);
      }
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("undecodable '" + op + "' notice: " + e.getMessage(), e);
    }
  }

  private void remoteHello(Placer p, Message<Buffer> m) throws InvalidProtocolBufferException {
    String member = m.headers().get("member");
    if (memberId.equals(member)) {
      // This member's own stream, told to the leader before this member came to lead, the message
      // arriving once it leads: its placer took its own streams at take-over. A relay of the same
      // stream would supersede (close) the node's real stream and, its hello being out of date,
      // take back the attempts assigned since as lost while the node runs them.
      return;
    }
    long serial = Long.parseLong(m.headers().get("serial"));
    Hello hello = Hello.parseFrom(m.body().getBytes());
    String key = member + "/" + serial;
    NodeSession s = remote.computeIfAbsent(key, k -> new NodeSession(hello, Integer.parseInt(m.headers().get("class")),
        new Relay(member, serial, k), System.currentTimeMillis()));
    if (!"true".equals(m.headers().get("fresh"))) {
      s.takeFreshHello();
    }
    p.connected(s);
  }

  private void remoteTelemetry(Placer p, Message<Buffer> m) {
    String member = m.headers().get("member");
    Buffer b = m.body();
    int entry = 8 + 4 * 8 + 8 + 8 + 4;
    boolean unknown = false;
    for (int at = 0; at + entry <= b.length(); at += entry) {
      NodeSession s = remote.get(member + "/" + b.getLong(at));
      if (s == null) {
        unknown = true;
        continue;
      }
      s.recordOutlook(b.getDouble(at + 48), b.getInt(at + 56));
      boolean first = s.recordTelemetry(b.getDouble(at + 8), b.getDouble(at + 16), b.getDouble(at + 24),
          b.getDouble(at + 32), b.getLong(at + 40));
      p.telemetry(s, first);
    }
    if (unknown) {
      // A hello was lost (sent while no leader listened): ask that member to announce its nodes again.
      bus.send(MEMBER_PREFIX + member, Buffer.buffer(), new DeliveryOptions().addHeader("op", "announce")
          .addHeader("leader", memberId));
    }
  }

  /** The leader's end of a node stream held by another member. */
  private final class Relay implements StreamObserver<SchedulerMessage> {
    private final String address;
    private final String serial;
    private final String key;

    Relay(String member, long serial, String key) {
      this.address = MEMBER_PREFIX + member;
      this.serial = Long.toString(serial);
      this.key = key;
    }

    @Override
    public void onNext(SchedulerMessage message) {
      bus.send(address, Buffer.buffer(message.toByteArray()),
          new DeliveryOptions().addHeader("op", "send").addHeader("serial", serial));
    }

    @Override
    public void onError(Throwable t) {
      Status status = Status.fromThrowable(t);
      close(status);
    }

    @Override
    public void onCompleted() {
      close(Status.OK);
    }

    private void close(Status status) {
      remote.remove(key);
      bus.send(address, Buffer.buffer(), new DeliveryOptions().addHeader("op", "close").addHeader("serial", serial)
          .addHeader("code", Integer.toString(status.getCode().value()))
          .addHeader("why", status.getDescription() == null ? "" : status.getDescription()));
    }
  }

  // ---------------------------------------------------------------- lifecycle

  @Override
  public void close() {
    synchronized (transition) {
      stopLeading();
    }
    try {
      vertx.cancelTimer(batchTimer);
      memberConsumer.unregister();
      announceConsumer.unregister();
    } catch (RuntimeException e) {
      // Vert.x is already closing: its consumers go with it.
      LOG.debug("closing after Vert.x: {}", e.toString());
    }
  }

  private static void await(io.vertx.core.Future<?> f) {
    try {
      f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("event-bus registration failed: " + e.getMessage(), e);
    }
  }
}
