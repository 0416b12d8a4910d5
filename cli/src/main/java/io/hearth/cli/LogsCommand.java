package io.hearth.cli;

import io.hearth.api.v1.GetJobLogsRequest;
import io.hearth.api.v1.LogStream;
import io.hearth.client.HearthClient;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code hearth logs JOB}: the kept stdout (or stderr) of an attempt, as the process wrote it,
 * fetched from the node that ran it. A log longer than the node keeps is said to be truncated on
 * stderr (the kept text also carries the node's marker line where bytes were dropped).
 */
@Command(name = "logs", description = "Print the stdout (or --stderr) of a job's attempt, fetched from its node.")
final class LogsCommand implements Callable<Integer> {

  @ParentCommand
  Hearth hearth;
  @Mixin
  Connection connection;

  @Parameters(paramLabel = "JOB_ID")
  String jobId;
  @Option(names = "--attempt", defaultValue = "0", description = "Attempt number, 1..; default the latest.")
  int attempt;
  @Option(names = "--stderr", description = "The attempt's stderr instead of its stdout.")
  boolean stderr;
  @Option(names = "--offset", defaultValue = "0", description = "Start at this byte of the kept log.")
  long offset;
  @Option(names = "--limit", defaultValue = "0", description = "At most this many bytes; 0 (default) means all.")
  long limit;

  @Override
  public Integer call() {
    if (attempt < 0) {
      throw new IllegalArgumentException("--attempt: " + attempt + " (expected: 1.., or 0 for the latest)");
    }
    if (offset < 0 || limit < 0) {
      throw new IllegalArgumentException((offset < 0 ? "--offset: " + offset : "--limit: " + limit) + " (expected: >= 0)");
    }
    GetJobLogsRequest request = GetJobLogsRequest.newBuilder().setJobId(jobId).setAttempt(attempt)
        .setStream(stderr ? LogStream.LOG_STREAM_STDERR : LogStream.LOG_STREAM_STDOUT)
        .setOffset(offset).setLimit(limit).build();
    try (HearthClient client = connection.client(hearth, Connection.JOB_ROLES)) {
      HearthClient.LogCopy copy = client.logs(request, hearth.out);
      hearth.out.flush();
      if (copy.truncated()) {
        hearth.err.println("hearth: log truncated: the process wrote " + copy.writtenSize() + " bytes to "
            + (stderr ? "stderr" : "stdout") + ", the node kept " + copy.keptSize() + " (the first and the last 4 MiB)");
      }
      return ExitCodes.OK;
    }
  }
}
