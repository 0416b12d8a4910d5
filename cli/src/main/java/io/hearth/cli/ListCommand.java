package io.hearth.cli;

import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.ListJobsRequest;
import io.hearth.api.v1.ListJobsResponse;
import io.hearth.api.v1.Tier;
import io.hearth.client.HearthClient;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hearth list}: the caller's jobs, filtered by state and tier, ordered by id. */
@Command(name = "list", description = "List your jobs, ordered by id.")
final class ListCommand extends ClientCommand {

  @Option(names = "--state", paramLabel = "STATE", split = ",",
      description = "Only these states (repeatable or comma-separated): BLOCKED, QUEUED, ASSIGNED, RUNNING, SUCCEEDED, FAILED, CANCELLED, EXPIRED.")
  List<String> states;
  @Option(names = "--tier", description = "Only this tier: RESERVED, ON_DEMAND, FLEX, DONATED.")
  String tier;
  @Option(names = "--limit", defaultValue = "100", description = "At most this many jobs, 1..100000 (default ${DEFAULT-VALUE}).")
  int limit;

  @Override
  public Integer call() {
    if (limit < 1 || limit > 100_000) {
      throw new IllegalArgumentException("--limit: " + limit + " (expected: 1..100000)");
    }
    ListJobsRequest.Builder request = ListJobsRequest.newBuilder().setPageSize(Math.min(limit, 1000));
    if (states != null) {
      for (String s : states) {
        request.addStates(parse(JobState.class, "JOB_STATE_", "--state", s));
      }
    }
    if (tier != null) {
      request.setTier(parse(Tier.class, "TIER_", "--tier", tier));
    }
    try (HearthClient client = connection.client(hearth, Connection.JOB_ROLES)) {
      List<Job> jobs = client.list(request.build(), limit);
      if (output.json()) {
        Output.json(hearth.out, ListJobsResponse.newBuilder().addAllJobs(jobs));
        return ExitCodes.OK;
      }
      hearth.out.printf("%-40s %-10s %-9s %5s  %s%n", "JOB", "STATE", "TIER", "CORES", "NAME");
      for (Job j : jobs) {
        hearth.out.printf("%-40s %-10s %-9s %5d  %s%n", j.getJobId(), Output.state(j.getState()),
            j.getSpec().getTier().name().substring("TIER_".length()), j.getSpec().getCores(), j.getSpec().getName());
      }
      return ExitCodes.OK;
    }
  }

  static <E extends Enum<E>> E parse(Class<E> type, String prefix, String flag, String value) {
    String v = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (E e : type.getEnumConstants()) {
      if (e.name().equals(prefix + v) && !v.equals("UNSPECIFIED")) {
        return e;
      }
    }
    List<String> names = java.util.Arrays.stream(type.getEnumConstants()).map(Enum::name)
        .filter(n -> n.startsWith(prefix) && !n.endsWith("UNSPECIFIED")).map(n -> n.substring(prefix.length())).toList();
    throw new IllegalArgumentException(flag + ": '" + value + "' (expected one of: " + String.join(", ", names) + ")");
  }
}
