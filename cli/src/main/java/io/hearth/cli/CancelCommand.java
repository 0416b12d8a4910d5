package io.hearth.cli;

import io.hearth.api.v1.Job;
import io.hearth.api.v1.ListJobsResponse;
import io.hearth.client.HearthClient;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code hearth cancel JOB...}: cancels jobs that have not ended; running processes are killed. */
@Command(name = "cancel", description = "Cancel jobs that have not ended (a running process is killed on its node).")
final class CancelCommand extends ClientCommand {

  @Parameters(arity = "1..*", paramLabel = "JOB_ID")
  List<String> jobIds;

  @Override
  public Integer call() {
    List<Job> cancelled = new ArrayList<>();
    try (HearthClient client = connection.client(hearth, Connection.JOB_ROLES)) {
      for (String id : jobIds) {
        Job job = client.cancel(id);
        cancelled.add(job);
        if (!output.json()) {
          hearth.out.println(Output.line(job));
        }
      }
    }
    if (output.json()) {
      Output.json(hearth.out, ListJobsResponse.newBuilder().addAllJobs(cancelled));
    }
    return ExitCodes.OK;
  }
}
