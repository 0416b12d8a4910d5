package io.hearth.scheduler.api;

import io.grpc.stub.StreamObserver;
import io.hearth.api.v1.AdminServiceGrpc;
import io.hearth.api.v1.ApproveNonprofitRequest;
import io.hearth.api.v1.ClusterStatus;
import io.hearth.api.v1.DrainNodeRequest;
import io.hearth.api.v1.GetClusterStatusRequest;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.ListNodesRequest;
import io.hearth.api.v1.ListNodesResponse;
import io.hearth.api.v1.NodeCount;
import io.hearth.api.v1.NodeInfo;
import io.hearth.api.v1.NodeKind;
import io.hearth.api.v1.NodeState;
import io.hearth.api.v1.Nonprofit;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.StateCount;
import io.hearth.api.v1.Tier;
import io.hearth.api.v1.TierCount;
import io.hearth.api.v1.UndrainNodeRequest;
import io.hearth.scheduler.cluster.NonprofitStore;
import io.hearth.scheduler.job.JobLifecycle;
import io.hearth.scheduler.metrics.FleetFigures;
import io.hearth.scheduler.metrics.FleetMonitor;
import io.hearth.scheduler.scheduling.FleetSnapshot;
import io.hearth.scheduler.scheduling.Placer;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@code hearth.v1.AdminService}: the operators' API, and the same operations for the dashboard's
 * action endpoints ({@link #drain}, {@link #approve}), so both paths check the same role and the
 * same bounds. Only operator identities pass; others get PERMISSION_DENIED.
 *
 * <p>Threading: node queries and drains are answered asynchronously from the placer's thread
 * ({@link Placer#snapshot()}, {@link Placer#setDrained}); approvals write to Hazelcast and block,
 * so {@link #approve} must run off any event loop (gRPC's executor, or a Vert.x worker).
 */
public final class AdminServiceImpl extends AdminServiceGrpc.AdminServiceImplBase {

  public static final int DEFAULT_PAGE_SIZE = 100;
  public static final int MAX_PAGE_SIZE = 1000;
  public static final int MAX_NODE_ID = 128;
  public static final int MIN_WEIGHT = 1;
  public static final int MAX_WEIGHT = 1000;

  private final io.hearth.scheduler.scheduling.ClusterPlacement placer;
  private final FleetMonitor monitor;
  private final NonprofitStore nonprofits;
  private final Clock clock;

  public AdminServiceImpl(io.hearth.scheduler.scheduling.ClusterPlacement placer, FleetMonitor monitor, NonprofitStore nonprofits, Clock clock) {
    this.placer = placer;
    this.monitor = monitor;
    this.nonprofits = nonprofits;
    this.clock = clock;
  }

  // ---------------------------------------------------------------- operations (gRPC and dashboard)

  /** Throws PERMISSION_DENIED unless {@code who} is an operator. */
  public static Identity requireOperator(Identity who) {
    if (who.role() != Identity.Role.OPERATOR) {
      throw HearthException.denied("role " + who.role().word() + " cannot administer Hearth (expected: operator)");
    }
    return who;
  }

  /** Drains (or undrains) a node and answers it as it is now; fails NOT_FOUND for an unknown node. */
  public CompletableFuture<NodeInfo> drain(Identity who, String nodeId, boolean drained) {
    try {
      requireOperator(who);
      JobSpecValidator.checkLength("node_id", nodeId, 1, MAX_NODE_ID);
    } catch (HearthException e) {
      return CompletableFuture.failedFuture(e);
    }
    return placer.setDrained(nodeId, drained).thenCompose(known -> {
      if (!known) {
        throw HearthException.notFound("node " + nodeId + " not found");
      }
      monitor.refresh();
      return placer.snapshot();
    }).thenApply(snapshot -> {
      for (FleetSnapshot.Node n : snapshot.nodes()) {
        if (n.nodeId().equals(nodeId)) {
          return toInfo(n);
        }
      }
      throw HearthException.notFound("node " + nodeId + " not found");
    });
  }

  /** Approves a nonprofit with its fair-share weight. Blocks on Hazelcast. */
  public Nonprofit approve(Identity who, String nonprofitId, int weight) {
    requireOperator(who);
    try {
      new Identity(Identity.Role.NONPROFIT, nonprofitId);
    } catch (IllegalArgumentException e) {
      throw HearthException.invalid("nonprofit_" + e.getMessage());
    }
    JobSpecValidator.checkRange("weight", weight, MIN_WEIGHT, MAX_WEIGHT);
    Nonprofit n = Nonprofit.newBuilder().setNonprofitId(nonprofitId).setWeight(weight)
        .setApprovedBy(who.toString()).setApprovedAt(JobLifecycle.timestamp(clock.instant())).build();
    nonprofits.put(n);
    return n;
  }

  /** The node as the API shows it. */
  public static NodeInfo toInfo(FleetSnapshot.Node n) {
    return NodeInfo.newBuilder()
        .setNodeId(n.nodeId())
        .setKind(NodeKind.forNumber(n.kind()) == null ? NodeKind.NODE_KIND_UNSPECIFIED : NodeKind.forNumber(n.kind()))
        .setSecurityClassValue(n.securityClass())
        .setStateValue(n.state())
        .setDrained(n.drained())
        .setCores(n.cores())
        .setReservedCores(n.reservedCores())
        .setRunningAttempts(n.runningAttempts())
        .setHeatDemandWatts(n.heatDemandWatts())
        .setComputeDrawWatts(n.computeDrawWatts())
        .setInsideTemperatureC(n.insideTemperatureC())
        .setSite(n.site())
        .setRegion(n.region())
        .setLastSeen(JobLifecycle.timestamp(Instant.ofEpochMilli(n.lastSeenMillis())))
        .build();
  }

  // ---------------------------------------------------------------- gRPC

  @Override
  public void listNodes(ListNodesRequest request, StreamObserver<ListNodesResponse> out) {
    int size;
    try {
      requireOperator(Identity.current());
      size = request.getPageSize() == 0 ? DEFAULT_PAGE_SIZE : request.getPageSize();
      JobSpecValidator.checkRange("page_size", request.getPageSize() == 0 ? size : request.getPageSize(), 1, MAX_PAGE_SIZE);
      JobSpecValidator.checkLength("page_token", request.getPageToken(), 0, MAX_NODE_ID);
    } catch (RuntimeException e) {
      out.onError(StatusMapper.toStatus(e));
      return;
    }
    String after = request.getPageToken();
    respond(out, placer.snapshot().thenApply(snapshot -> {
      List<FleetSnapshot.Node> nodes = new ArrayList<>();
      for (FleetSnapshot.Node n : snapshot.nodes()) {
        if (n.nodeId().compareTo(after) > 0) {
          nodes.add(n);
        }
      }
      nodes.sort(Comparator.comparing(FleetSnapshot.Node::nodeId));
      ListNodesResponse.Builder b = ListNodesResponse.newBuilder();
      for (int i = 0; i < Math.min(size, nodes.size()); i++) {
        b.addNodes(toInfo(nodes.get(i)));
      }
      if (nodes.size() > size) {
        b.setNextPageToken(nodes.get(size - 1).nodeId());
      }
      return b.build();
    }));
  }

  @Override
  public void drainNode(DrainNodeRequest request, StreamObserver<NodeInfo> out) {
    respond(out, drain(Identity.current(), request.getNodeId(), true));
  }

  @Override
  public void undrainNode(UndrainNodeRequest request, StreamObserver<NodeInfo> out) {
    respond(out, drain(Identity.current(), request.getNodeId(), false));
  }

  @Override
  public void getClusterStatus(GetClusterStatusRequest request, StreamObserver<ClusterStatus> out) {
    try {
      requireOperator(Identity.current());
    } catch (RuntimeException e) {
      out.onError(StatusMapper.toStatus(e));
      return;
    }
    FleetFigures latest = monitor.latest();
    CompletionStage<FleetFigures> figures = latest.atMillis() > 0 ? CompletableFuture.completedFuture(latest)
        : monitor.refresh().toCompletionStage();
    respond(out, figures.thenApply(AdminServiceImpl::toStatus));
  }

  @Override
  public void approveNonprofit(ApproveNonprofitRequest request, StreamObserver<Nonprofit> out) {
    Nonprofit n;
    try {
      n = approve(Identity.current(), request.getNonprofitId(), request.getWeight());
    } catch (RuntimeException e) {
      out.onError(StatusMapper.toStatus(e));
      return;
    }
    out.onNext(n);
    out.onCompleted();
  }

  static ClusterStatus toStatus(FleetFigures f) {
    ClusterStatus.Builder b = ClusterStatus.newBuilder()
        .setAt(JobLifecycle.timestamp(Instant.ofEpochMilli(f.atMillis())))
        .setMembers(f.members())
        .setRunningAttempts(f.runningAttempts())
        .setHeatWantedWatts(f.heatWantedWatts())
        .setHeatDeliveredWatts(f.heatDeliveredWatts())
        .setComputeDrawWatts(f.computeDrawWatts())
        .setUsefulHeatFraction(f.usefulHeatFraction())
        .setDatacenterShare(f.datacenterShare())
        .setDonatedCoreHours(f.donatedCoreHours());
    for (int kind = 1; kind <= FleetFigures.KINDS; kind++) {
      for (int cls = 1; cls <= FleetFigures.CLASSES; cls++) {
        for (int state = 1; state <= FleetFigures.STATES; state++) {
          int n = f.nodes(kind, cls, state);
          if (n > 0) {
            b.addNodes(NodeCount.newBuilder().setKind(NodeKind.forNumber(kind))
                .setSecurityClass(SecurityClass.forNumber(cls)).setState(NodeState.forNumber(state)).setNodes(n));
          }
        }
      }
    }
    for (int tier = 1; tier <= FleetFigures.TIERS; tier++) {
      b.addPending(TierCount.newBuilder().setTier(Tier.forNumber(tier)).setJobs(f.pending(tier)));
    }
    for (int s = 1; s <= FleetFigures.JOB_STATES; s++) {
      b.addJobs(StateCount.newBuilder().setState(JobState.forNumber(s)).setJobs(f.jobs(s)));
    }
    return b.build();
  }

  private static <T> void respond(StreamObserver<T> out, CompletionStage<T> result) {
    result.whenComplete((value, error) -> {
      if (error != null) {
        out.onError(StatusMapper.toStatus(error));
      } else {
        out.onNext(value);
        out.onCompleted();
      }
    });
  }
}
