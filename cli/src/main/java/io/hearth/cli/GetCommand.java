package io.hearth.cli;

import io.hearth.api.v1.Job;
import io.hearth.client.HearthClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code hearth get JOB}: one job with its attempts, why it waits, its instances and energy. */
@Command(name = "get", description = "Show one job: state, attempts, why it is waiting, array instances, energy.")
final class GetCommand extends ClientCommand {

  @Parameters(paramLabel = "JOB_ID")
  String jobId;

  @Override
  public Integer call() {
    try (HearthClient client = connection.client(hearth, Connection.JOB_ROLES)) {
      Job job = client.get(jobId);
      if (output.json()) {
        Output.json(hearth.out, job);
      } else {
        Output.describe(hearth.out, job);
      }
      return ExitCodes.OK;
    }
  }
}
