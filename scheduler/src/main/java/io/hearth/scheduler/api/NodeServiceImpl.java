package io.hearth.scheduler.api;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.hearth.api.v1.AttemptUpdate;
import io.hearth.api.v1.Hello;
import io.hearth.api.v1.NodeKind;
import io.hearth.api.v1.NodeMessage;
import io.hearth.api.v1.NodeServiceGrpc;
import io.hearth.api.v1.SchedulerMessage;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.Telemetry;
import io.hearth.api.v1.UpdateRejected;
import io.hearth.api.v1.Welcome;
import io.hearth.scheduler.cluster.JobStore;
import io.hearth.scheduler.config.SchedulerOptions;
import io.hearth.scheduler.job.JobLifecycle;
import io.hearth.scheduler.scheduling.NodeLogs;
import io.hearth.scheduler.scheduling.NodeSession;
import io.hearth.scheduler.scheduling.ClusterPlacement;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code hearth.v1.NodeService.Connect}: the bidirectional stream of a node agent. The first
 * message must be a Hello from the node the caller's identity names; telemetry is recorded on the
 * session for the placer; attempt reports are checked against the job's current fencing token and
 * applied with a compare-and-set, a stale one answered with {@code UpdateRejected}.
 * Callbacks of one stream run one at a time on gRPC's executor (they may block on Hazelcast).
 */
public final class NodeServiceImpl extends NodeServiceGrpc.NodeServiceImplBase {

  private static final Logger LOG = LoggerFactory.getLogger(NodeServiceImpl.class);

  public static final int MAX_NODE_CORES = 1024;
  public static final long MAX_NODE_MEMORY_MIB = 16L * 1024 * 1024;
  public static final double MAX_WATTS = 100_000;
  public static final int MAX_TEXT = 128;

  private final SchedulerOptions options;
  private final String energyAssumptions;
  private final JobStore store;
  private final ClusterPlacement placer;
  private final Clock clock;
  private final NodeLogs logs;

  public NodeServiceImpl(SchedulerOptions options, JobStore store, ClusterPlacement placer, NodeLogs logs, Clock clock) {
    this.logs = logs;
    this.options = options;
    this.energyAssumptions = JobLifecycle.energyAssumptions(options.displacedHeatingGramsPerKwh());
    this.store = store;
    this.placer = placer;
    this.clock = clock;
  }

  @Override
  public StreamObserver<NodeMessage> connect(StreamObserver<SchedulerMessage> responses) {
    Identity who = Identity.current();
    ServerCallStreamObserver<SchedulerMessage> out = (ServerCallStreamObserver<SchedulerMessage>) responses;
    if (who.role() != Identity.Role.NODE) {
      out.onError(Status.PERMISSION_DENIED
          .withDescription("role " + who.role().word() + " cannot open a node stream (expected: node)").asRuntimeException());
      return new Ignore();
    }
    return new Stream(who, out);
  }

  /** One node's stream. */
  private final class Stream implements StreamObserver<NodeMessage> {
    private final Identity who;
    private final ServerCallStreamObserver<SchedulerMessage> out;
    private NodeSession session;
    private boolean ended;

    Stream(Identity who, ServerCallStreamObserver<SchedulerMessage> out) {
      this.who = who;
      this.out = out;
    }

    @Override
    public void onNext(NodeMessage message) {
      if (ended) {
        return;
      }
      try {
        switch (message.getBodyCase()) {
          case HELLO -> hello(message.getHello());
          case TELEMETRY -> telemetry(message.getTelemetry());
          case ATTEMPT_UPDATE -> update(message.getAttemptUpdate());
          case LOG_CHUNK -> {
            requireHello("log_chunk");
            logs.replied(session, message.getLogChunk());
          }
          default -> throw HearthException.invalid("body: not set (expected: hello, telemetry, attempt_update or log_chunk)");
        }
      } catch (RuntimeException e) {
        fail(StatusMapper.toStatus(e).getStatus());
      }
    }

    private void hello(Hello h) {
      if (session != null) {
        throw HearthException.invalid("hello: sent twice on one stream (expected: once, first)");
      }
      validateHello(h);
      if (!h.getNodeId().equals(who.id())) {
        throw HearthException.denied("hello.node_id: '" + h.getNodeId() + "' (expected: the caller's node id '" + who.id() + "')");
      }
      // The class placement trusts is the CA's attestation in the certificate, never the hello's claim.
      int attested = who.securityClass();
      if (attested != h.getSecurityClassValue()) {
        LOG.warn("node {} claims {} but its certificate attests {}: placing it as {}", h.getNodeId(),
            h.getSecurityClass(), SecurityClass.forNumber(attested), SecurityClass.forNumber(attested));
      }
      session = new NodeSession(h, attested, out, clock.millis(), true);
      session.send(SchedulerMessage.newBuilder().setWelcome(Welcome.newBuilder()
          .setEffectiveSecurityClass(SecurityClass.forNumber(attested))
          .setTelemetryInterval(com.google.protobuf.util.Durations.fromMillis(options.telemetryInterval().toMillis()))
          .setNodeTimeout(com.google.protobuf.util.Durations.fromMillis(options.nodeTimeout().toMillis()))).build());
      placer.connected(session);
      logs.attach(session);
    }

    private void telemetry(Telemetry t) {
      requireHello("telemetry");
      checkFinite("telemetry.heat_demand_watts", t.getHeatDemandWatts(), 0, MAX_WATTS);
      checkFinite("telemetry.compute_draw_watts", t.getComputeDrawWatts(), 0, MAX_WATTS);
      checkFinite("telemetry.forecast_heat_demand_watts", t.getForecastHeatDemandWatts(), 0, MAX_WATTS);
      JobSpecValidator.checkRange("telemetry.throttled_cores", t.getThrottledCores(), 0, MAX_NODE_CORES);
      // A node that sends no forecast (0) is taken at its current demand.
      session.recordOutlook(t.getForecastHeatDemandWatts() > 0 ? t.getForecastHeatDemandWatts() : -1,
          t.getThrottledCores());
      boolean first = session.recordTelemetry(t.getHeatDemandWatts(), t.getComputeDrawWatts(),
          t.getInsideTemperatureC(), t.getOutdoorTemperatureC(), clock.millis());
      placer.telemetry(session, first);
    }

    private void update(AttemptUpdate u) {
      requireHello("attempt_update");
      session.touch(clock.millis());
      if (u.getJobId().isEmpty() || u.getJobId().length() > 64) {
        throw HearthException.invalid("attempt_update.job_id: " + u.getJobId().length() + " characters (expected: 1..64)");
      }
      // An attempt this stream carried is accounted with its end, in the same write: the energy
      // the node measured, and the share of it its room or tank wanted while the attempt ran.
      Double usefulFraction = JobLifecycle.isEnded(u.getState()) ? session.endedAttemptFraction(u.getFencingToken()) : null;
      JobLifecycle.UpdateResult[] result = new JobLifecycle.UpdateResult[1];
      io.hearth.api.v1.Job after = store.update(u.getJobId(), j -> {
        result[0] = JobLifecycle.applyUpdate(j, session.nodeId(), u.getFencingToken(), u.getState(),
            u.getExitCode(), u.getMessage(), clock.instant(), sane(u.getEnergyWh()));
        if (!result[0].accepted()) {
          return null;
        }
        if (usefulFraction != null && result[0].attemptEnded()) {
          io.hearth.api.v1.Job accounted = JobLifecycle.accountEnergy(result[0].job(), u.getFencingToken(), usefulFraction,
              options.displacedHeatingGramsPerKwh(), energyAssumptions);
          if (accounted != null) {
            return accounted;
          }
        }
        return result[0].job();
      });
      JobLifecycle.UpdateResult r = result[0];
      if (r == null) {
        reject(u, "unknown job");
        return;
      }
      if (!r.accepted()) {
        reject(u, r.refusal());
        return;
      }
      if (r.attemptEnded()) {
        placer.attemptEnded(u.getFencingToken(), after != null ? after : r.job());
      } else if (r.energyRecorded()) {
        placer.energyReported(u.getFencingToken(), after != null ? after : r.job());
      }
    }

    private void reject(AttemptUpdate u, String why) {
      LOG.info("refused a report from node {} on job {} token {}: {}", session.nodeId(), u.getJobId(),
          u.getFencingToken(), why);
      session.send(SchedulerMessage.newBuilder().setUpdateRejected(UpdateRejected.newBuilder()
          .setJobId(u.getJobId()).setFencingToken(u.getFencingToken()).setReason(why)).build());
    }

    private void requireHello(String what) {
      if (session == null) {
        throw HearthException.invalid(what + ": before hello (expected: hello first)");
      }
    }

    private void fail(Status status) {
      ended = true;
      if (session != null) {
        session.close(status);
        logs.detach(session);
        placer.disconnected(session);
      } else {
        try {
          out.onError(status.asRuntimeException());
        } catch (RuntimeException ignored) {
          // the peer already went away
        }
      }
    }

    @Override
    public void onError(Throwable t) {
      ended = true;
      if (session != null) {
        logs.detach(session);
        placer.disconnected(session);
      }
    }

    @Override
    public void onCompleted() {
      ended = true;
      if (session != null) {
        session.close(Status.OK);
        logs.detach(session);
        placer.disconnected(session);
      } else {
        out.onCompleted();
      }
    }
  }

  static void validateHello(Hello h) {
    JobSpecValidator.checkLength("hello.node_id", h.getNodeId(), 1, MAX_TEXT);
    if (h.getKind() == NodeKind.UNRECOGNIZED || h.getKind() == NodeKind.NODE_KIND_UNSPECIFIED) {
      throw HearthException.invalid("hello.kind: " + h.getKindValue()
          + " (expected: NODE_KIND_RADIATOR, NODE_KIND_BOILER or NODE_KIND_DATACENTER)");
    }
    if (h.getSecurityClass() == SecurityClass.UNRECOGNIZED || h.getSecurityClass() == SecurityClass.SECURITY_CLASS_UNSPECIFIED) {
      throw HearthException.invalid("hello.security_class: " + h.getSecurityClassValue()
          + " (expected: SECURITY_CLASS_OPEN..SECURITY_CLASS_CERTIFIED)");
    }
    JobSpecValidator.checkRange("hello.cores", h.getCores(), 1, MAX_NODE_CORES);
    JobSpecValidator.checkRange("hello.memory_mib", h.getMemoryMib(), 1, MAX_NODE_MEMORY_MIB);
    checkFinite("hello.max_watts", h.getMaxWatts(), 0, MAX_WATTS);
    checkFinite("hello.watts_per_core", h.getWattsPerCore(), 0, MAX_WATTS);
    JobSpecValidator.checkLength("hello.site", h.getSite(), 0, MAX_TEXT);
    JobSpecValidator.checkLength("hello.region", h.getRegion(), 0, 64);
    JobSpecValidator.checkLength("hello.agent_version", h.getAgentVersion(), 0, MAX_TEXT);
    if (h.getRunningFencingTokensCount() > 1024) {
      throw HearthException.invalid("hello.running_fencing_tokens: " + h.getRunningFencingTokensCount()
          + " entries (expected: at most 1024)");
    }
  }

  /** A node's energy figure, ignored when it is not a finite, plausible number of watt-hours. */
  private static double sane(double energyWh) {
    return energyWh > 0 && energyWh < 1e9 ? energyWh : 0;
  }

  static void checkFinite(String field, double v, double min, double max) {
    if (!(v >= min && v <= max)) {
      throw HearthException.invalid(field + ": " + v + " (expected: " + min + ".." + max + ")");
    }
  }

  private static final class Ignore implements StreamObserver<NodeMessage> {
    @Override public void onNext(NodeMessage value) {}
    @Override public void onError(Throwable t) {}
    @Override public void onCompleted() {}
  }
}
