package io.hearth.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import io.hearth.api.v1.ArrayStatus;
import io.hearth.api.v1.Attempt;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobState;
import java.io.PrintStream;
import java.time.Instant;
import picocli.CommandLine.Option;

/** {@code --output text|json}, and the text shapes shared by several commands. */
final class Output {

  enum Format { text, json }

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text",
      description = "text (default) or json (protobuf JSON, one document).")
  Format format;

  boolean json() {
    return format == Format.json;
  }

  static void json(PrintStream out, MessageOrBuilder message) {
    try {
      out.println(JsonFormat.printer().print(message));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  static String state(JobState s) {
    return s.name().substring("JOB_STATE_".length());
  }

  static String time(Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos()).toString();
  }

  /** One line: id, state, reason. */
  static String line(Job job) {
    return job.getJobId() + " " + state(job.getState())
        + (job.getSpec().getName().isEmpty() ? "" : " " + job.getSpec().getName())
        + (job.getStateReason().isEmpty() ? "" : " (" + job.getStateReason() + ")");
  }

  /** Why an attempt ended, unless it only repeats its exit code. */
  static String reason(Attempt a) {
    return a.getReason().equals("exit code " + a.getExitCode()) ? "" : a.getReason();
  }

  /** Everything worth reading about one job, for {@code hearth get}. */
  static void describe(PrintStream out, Job job) {
    out.println("job " + line(job));
    out.println("  owner " + job.getOwner() + ", tier " + job.getSpec().getTier().name().substring("TIER_".length())
        + ", at least " + job.getSpec().getMinSecurityClass().name().substring("SECURITY_CLASS_".length())
        + ", " + job.getSpec().getCores() + " cores, " + job.getSpec().getMemoryMib() + " MiB"
        + ", command " + String.join(" ", job.getSpec().getWorkload().getArgvList()));
    if (job.hasCreatedAt()) {
      out.println("  created " + time(job.getCreatedAt()) + ", updated " + time(job.getUpdatedAt()));
    }
    if (!job.getArrayJobId().isEmpty()) {
      out.println("  instance " + job.getInstanceIndex() + " of array job " + job.getArrayJobId());
    }
    if (job.hasArray()) {
      ArrayStatus a = job.getArray();
      out.println("  instances " + a.getInstances() + ": blocked " + a.getBlocked() + ", queued " + a.getQueued()
          + ", running " + a.getRunning() + ", succeeded " + a.getSucceeded() + ", failed " + a.getFailed()
          + ", cancelled " + a.getCancelled() + ", expired " + a.getExpired());
      if (a.getUnsuccessfulInstancesCount() > 0) {
        out.println("  unsuccessful instances: " + a.getUnsuccessfulInstancesList());
      }
    }
    for (var d : job.getSpec().getDependsOnList()) {
      out.println("  after " + (d.getJobId().isEmpty() ? "request " + d.getRequestId() : d.getJobId())
          + (d.getConditionValue() == 2 ? " (any end)" : " (success)"));
    }
    if (job.hasPending() && job.getState() == JobState.JOB_STATE_QUEUED) {
      out.println("  waiting: " + job.getPending().getSummary());
    }
    for (Attempt a : job.getAttemptsList()) {
      out.println("  attempt " + a.getNumber() + " on node " + a.getNodeId() + ": "
          + a.getState().name().substring("ATTEMPT_STATE_".length())
          + (a.hasEndedAt() ? ", exit code " + a.getExitCode() : "")
          + (reason(a).isEmpty() ? "" : " (" + reason(a) + ")"));
    }
    if (job.hasEnergy() && job.getEnergy().getEnergyWh() > 0) {
      out.printf("  energy %.3f Wh, useful heat %.3f Wh, CO2 avoided %.3f g%n", job.getEnergy().getEnergyWh(),
          job.getEnergy().getUsefulHeatWh(), job.getEnergy().getCo2AvoidedG());
    }
  }
}
