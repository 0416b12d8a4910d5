package io.hearth.cli;

import io.hearth.api.v1.ListNodesResponse;
import io.hearth.api.v1.NodeInfo;
import io.hearth.client.HearthClient;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code hearth nodes}: the fleet, for operators: kind, class, state, cores, heat. */
@Command(name = "nodes", description = "List the fleet's nodes (operators): kind, class, state, cores, heat wanted and drawn.")
final class NodesCommand extends ClientCommand {

  @Override
  public Integer call() {
    try (HearthClient client = connection.client(hearth, List.of("operator"))) {
      List<NodeInfo> nodes = client.nodes();
      if (output.json()) {
        Output.json(hearth.out, ListNodesResponse.newBuilder().addAllNodes(nodes));
        return ExitCodes.OK;
      }
      hearth.out.printf("%-24s %-10s %-10s %-8s %5s %5s %7s %9s %9s  %s%n",
          "NODE", "KIND", "CLASS", "STATE", "CORES", "USED", "RUNNING", "DEMAND_W", "DRAW_W", "REGION");
      for (NodeInfo n : nodes) {
        hearth.out.printf("%-24s %-10s %-10s %-8s %5d %5d %7d %9.0f %9.0f  %s%n", n.getNodeId(),
            n.getKind().name().substring("NODE_KIND_".length()),
            n.getSecurityClass().name().substring("SECURITY_CLASS_".length()),
            n.getState().name().substring("NODE_STATE_".length()) + (n.getDrained() ? "*" : ""),
            n.getCores(), n.getReservedCores(), n.getRunningAttempts(), n.getHeatDemandWatts(), n.getComputeDrawWatts(),
            n.getRegion());
      }
      return ExitCodes.OK;
    }
  }
}
