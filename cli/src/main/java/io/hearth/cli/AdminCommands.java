package io.hearth.cli;

import io.hearth.api.v1.ClusterStatus;
import io.hearth.api.v1.NodeCount;
import io.hearth.api.v1.NodeInfo;
import io.hearth.api.v1.Nonprofit;
import io.hearth.api.v1.StateCount;
import io.hearth.api.v1.TierCount;
import io.hearth.client.HearthClient;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Operators' commands of the AdminService besides {@code nodes}: drain, undrain, approve, status. */
final class AdminCommands {

  private static final List<String> OPERATOR = List.of("operator");
  static final int MIN_WEIGHT = 1;
  static final int MAX_WEIGHT = 1000;

  private AdminCommands() {}

  /** drain and undrain: one call per node named, one line per node as the scheduler answered it. */
  abstract static class NodeAction extends ClientCommand {
    @Parameters(arity = "1..*", paramLabel = "NODE")
    List<String> nodeIds;

    abstract NodeInfo apply(HearthClient client, String nodeId);

    @Override
    public Integer call() {
      try (HearthClient client = connection.client(hearth, OPERATOR)) {
        for (String id : nodeIds) {
          printNode(this, apply(client, id));
        }
        return ExitCodes.OK;
      }
    }
  }

  @Command(name = "drain", description = "Stop new work on nodes (operators); their running attempts finish.")
  static final class Drain extends NodeAction {
    @Override
    NodeInfo apply(HearthClient client, String nodeId) {
      return client.drain(nodeId);
    }
  }

  @Command(name = "undrain", description = "Let drained nodes take work again (operators).")
  static final class Undrain extends NodeAction {
    @Override
    NodeInfo apply(HearthClient client, String nodeId) {
      return client.undrain(nodeId);
    }
  }

  @Command(name = "approve", description = "Approve a nonprofit to claim donated compute (operators).")
  static final class Approve extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NONPROFIT", description = "The nonprofit's id, as in its certificate (nonprofit/ID).")
    String nonprofitId;
    @Option(names = "--weight", defaultValue = "1", description = "Its weight in the fair share of donations, "
        + MIN_WEIGHT + ".." + MAX_WEIGHT + " (default: ${DEFAULT-VALUE}).")
    int weight;

    @Override
    public Integer call() {
      if (weight < MIN_WEIGHT || weight > MAX_WEIGHT) {
        throw new IllegalArgumentException("--weight: " + weight + " (expected: " + MIN_WEIGHT + ".." + MAX_WEIGHT + ")");
      }
      try (HearthClient client = connection.client(hearth, OPERATOR)) {
        Nonprofit n = client.approveNonprofit(nonprofitId, weight);
        if (output.json()) {
          Output.json(hearth.out, n.toBuilder());
        } else {
          hearth.out.printf("nonprofit %s approved, weight %d%n", n.getNonprofitId(), n.getWeight());
        }
        return ExitCodes.OK;
      }
    }
  }

  @Command(name = "status", description = "The cluster's fleet, queue and heat figures (operators).")
  static final class Status extends ClientCommand {

    @Override
    public Integer call() {
      try (HearthClient client = connection.client(hearth, OPERATOR)) {
        ClusterStatus s = client.clusterStatus();
        if (output.json()) {
          Output.json(hearth.out, s.toBuilder());
          return ExitCodes.OK;
        }
        hearth.out.printf("scheduler members: %d, figures as of %s%n", s.getMembers(), Output.time(s.getAt()));
        for (NodeCount n : s.getNodesList()) {
          hearth.out.printf("  nodes %-10s %-10s %-8s %6d%n", n.getKind().name().substring("NODE_KIND_".length()),
              n.getSecurityClass().name().substring("SECURITY_CLASS_".length()),
              n.getState().name().substring("NODE_STATE_".length()), n.getNodes());
        }
        StringBuilder jobs = new StringBuilder();
        for (StateCount c : s.getJobsList()) {
          jobs.append(' ').append(c.getState().name().substring("JOB_STATE_".length())).append(' ').append(c.getJobs());
        }
        hearth.out.printf("jobs:%s%n", jobs);
        StringBuilder queued = new StringBuilder();
        for (TierCount c : s.getPendingList()) {
          queued.append(' ').append(c.getTier().name().substring("TIER_".length())).append(' ').append(c.getJobs());
        }
        hearth.out.printf("queued by tier:%s; %d attempts running%n", queued, s.getRunningAttempts());
        // The fraction is NaN while heaters draw nothing: there is no fraction to show then.
        String useful = Double.isNaN(s.getUsefulHeatFraction()) ? "n/a (heaters draw nothing)"
            : String.format("%.2f", s.getUsefulHeatFraction());
        hearth.out.printf("heat wanted %.0f W, delivered %.0f W, compute draw %.0f W, useful heat fraction %s,"
                + " data-center share %.2f, donated %.1f core-hours%n", s.getHeatWantedWatts(), s.getHeatDeliveredWatts(),
            s.getComputeDrawWatts(), useful, s.getDatacenterShare(), s.getDonatedCoreHours());
        return ExitCodes.OK;
      }
    }
  }

  /** One line per node as the scheduler answered it (drain, undrain). */
  private static void printNode(ClientCommand command, NodeInfo n) {
    if (command.output.json()) {
      Output.json(command.hearth.out, n.toBuilder());
      return;
    }
    command.hearth.out.printf("node %s %s%s, %d attempts running%n", n.getNodeId(),
        n.getState().name().substring("NODE_STATE_".length()), n.getDrained() ? " (drained: takes no new work)" : "",
        n.getRunningAttempts());
  }
}
