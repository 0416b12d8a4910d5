package io.hearth.cli;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.SubmitJobResponse;
import io.hearth.api.v1.SubmitJobsResponse;
import io.hearth.client.HearthClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hearth submit}: one job from flags ({@code hearth submit --cores 2 -- python3 x.py}), or
 * one job or a pipeline from a YAML or JSON file ({@code hearth submit -f pipeline.yaml}), sent in
 * one SubmitJobs batch (all accepted or none). Everything is checked before anything is sent.
 */
@Command(name = "submit", description = "Submit a job from flags and a command after --, or jobs from a YAML or JSON file.")
final class SubmitCommand extends ClientCommand {

  private static final Pattern SPEC_INDEX = Pattern.compile("specs\\[(\\d+)]");

  @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "A job or pipeline file (YAML or JSON).")
  Path file;
  @Option(names = "--request-id", paramLabel = "ID",
      description = "Idempotency key (a pipeline's jobs get ID/NAME); resubmitting the same key returns the same jobs. Default: random.")
  String requestId;
  @Option(names = {"-w", "--wait"}, description = "Watch the jobs to their end; the exit code says how they ended.")
  boolean waitForEnd;
  @Option(names = "--timeout", paramLabel = "DURATION", converter = JobFile.DurationConverter.class,
      description = "With --wait: give up after this long (exit code 6).")
  Duration timeout;
  @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s", converter = JobFile.DurationConverter.class,
      description = "With --wait: how often to read the jobs (default ${DEFAULT-VALUE}).")
  Duration interval;

  @Option(names = "--name", description = "Job name (default: the command line).")
  String name;
  @Option(names = "--tier", description = "RESERVED, ON_DEMAND (default), FLEX or DONATED.")
  String tier;
  @Option(names = "--security-class", description = "Lowest node class: OPEN, SEALED (default), CONTROLLED, CERTIFIED.")
  String securityClass;
  @Option(names = "--exclusive", description = "No other tenant's work on the node while it runs.")
  Boolean exclusive;
  @Option(names = "--cores", description = "CPU cores, 1..256 (default 1).")
  Integer cores;
  @Option(names = "--memory-mib", description = "Memory in MiB, 1..1048576 (default 256).")
  Long memoryMib;
  @Option(names = "--instances", description = "Array job: N instances, 1..10000; each sees HEARTH_INSTANCE_ID and HEARTH_INSTANCE_COUNT.")
  Integer instances;
  @Option(names = "--after", paramLabel = "JOB_ID", description = "Wait for this job to succeed first (repeatable).")
  List<String> after;
  @Option(names = "--after-any", paramLabel = "JOB_ID", description = "Wait for this job to end, however it ends (repeatable).")
  List<String> afterAny;
  @Option(names = "--env", paramLabel = "NAME=VALUE", description = "Environment variable (repeatable).")
  Map<String, String> env;
  @Option(names = "--secret", paramLabel = "NAME=KEY", description = "Secret from the operator's store as variable NAME (repeatable).")
  Map<String, String> secrets;
  @Option(names = "--label", paramLabel = "KEY=VALUE", description = "Label (repeatable).")
  Map<String, String> labels;
  @Option(names = "--region", description = "Allowed region (repeatable; default any).")
  List<String> regions;
  @Option(names = "--max-runtime", paramLabel = "DURATION", description = "Limit of one attempt, 1s..7d (default 1h).")
  String maxRuntime;
  @Option(names = "--max-queue-time", paramLabel = "DURATION", description = "Queue time before EXPIRED, 1s..30d (default 24h).")
  String maxQueueTime;
  @Option(names = "--max-attempts", description = "Attempts before FAILED, 1..100 (default 3).")
  Integer maxAttempts;
  @Option(names = "--grant", paramLabel = "GRANT_ID", description = "For DONATED jobs: the grant to spend.")
  String grant;

  @Parameters(paramLabel = "COMMAND", description = "After --: the program and its arguments.")
  List<String> command;

  @Override
  public Integer call() throws InterruptedException {
    String prefix = requestId != null ? requestId : UUID.randomUUID().toString();
    List<JobFile.Entry> entries = file != null ? fromFile(prefix) : List.of(new JobFile.Entry("", fromFlags(prefix)));
    List<JobSpec> specs = entries.stream().map(JobFile.Entry::spec).toList();
    List<String> ids = new ArrayList<>();
    try (HearthClient client = connection.client(hearth, Connection.JOB_ROLES)) {
      List<SubmitJobResponse> results;
      try {
        results = client.submitAll(specs);
      } catch (StatusRuntimeException e) {
        if (file != null && e.getStatus().getCode() == Status.Code.INVALID_ARGUMENT) {
          throw new IllegalArgumentException(file.getFileName() + ": refused by the scheduler: "
              + namedAfterFile(String.valueOf(e.getStatus().getDescription()), entries));
        }
        throw e;
      }
      if (output.json() && !waitForEnd) {
        Output.json(hearth.out, SubmitJobsResponse.newBuilder().addAllResults(results));
      }
      for (SubmitJobResponse r : results) {
        ids.add(r.getJob().getJobId());
        if (!output.json()) {
          hearth.out.println((r.getCreated() ? "submitted " : "already submitted ") + r.getJob().getJobId()
              + (r.getJob().getSpec().getName().isEmpty() ? "" : " " + r.getJob().getSpec().getName()));
        }
      }
      return waitForEnd ? WatchCommand.await(client, ids, timeout, interval, hearth, output.json()) : ExitCodes.OK;
    }
  }

  private List<JobFile.Entry> fromFile(String prefix) {
    List<String> set = new ArrayList<>();
    Object[][] flags = {{"--name", name}, {"--tier", tier}, {"--security-class", securityClass}, {"--exclusive", exclusive},
        {"--cores", cores}, {"--memory-mib", memoryMib}, {"--instances", instances}, {"--after", after},
        {"--after-any", afterAny}, {"--env", env}, {"--secret", secrets}, {"--label", labels}, {"--region", regions},
        {"--max-runtime", maxRuntime}, {"--max-queue-time", maxQueueTime}, {"--max-attempts", maxAttempts},
        {"--grant", grant}, {"COMMAND", command}};
    for (Object[] f : flags) {
      if (f[1] != null) {
        set.add((String) f[0]);
      }
    }
    if (!set.isEmpty()) {
      throw new IllegalArgumentException(String.join(", ", set) + ": not allowed with --file (expected: set them in the file)");
    }
    return JobFile.read(file, prefix);
  }

  private JobSpec fromFlags(String prefix) {
    if (command == null || command.isEmpty()) {
      throw new IllegalArgumentException("COMMAND: missing (expected: hearth submit [flags] -- PROGRAM ARGS..., or --file FILE)");
    }
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("request_id", prefix);
    fields.put("name", name != null ? name : String.join(" ", command));
    fields.put("command", command);
    put(fields, "tier", tier);
    put(fields, "security_class", securityClass);
    put(fields, "exclusive", exclusive);
    put(fields, "cores", cores);
    put(fields, "memory_mib", memoryMib);
    put(fields, "instances", instances);
    put(fields, "after", after);
    put(fields, "after_any", afterAny);
    put(fields, "env", env);
    put(fields, "secrets", secrets);
    put(fields, "labels", labels);
    put(fields, "regions", regions);
    put(fields, "max_runtime", maxRuntime);
    put(fields, "max_queue_time", maxQueueTime);
    put(fields, "max_attempts", maxAttempts);
    put(fields, "grant", grant);
    List<String> errors = new ArrayList<>();
    JobSpec spec = JobFile.toSpec(fields, Map.of(), SubmitCommand::flag, errors);
    if (spec == null) {
      throw new IllegalArgumentException(String.join("\n", errors));
    }
    return spec;
  }

  private static void put(Map<String, Object> fields, String key, Object value) {
    if (value instanceof Integer i) {
      value = i.longValue();
    }
    if (value != null) {
      fields.put(key, value);
    }
  }

  /** The flag a file field comes from, for messages: {@code memory_mib} -> {@code --memory-mib}. */
  private static String flag(String field) {
    return switch (field) {
      case "command" -> "COMMAND";
      case "secrets" -> "--secret";
      case "labels" -> "--label";
      case "regions" -> "--region";
      default -> "--" + field.replace('_', '-');
    };
  }

  /** Adds the file's job name to each {@code specs[N]} of the scheduler's message. */
  private static String namedAfterFile(String description, List<JobFile.Entry> entries) {
    Matcher m = SPEC_INDEX.matcher(description);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      int i = Integer.parseInt(m.group(1));
      String name = i < entries.size() ? " (jobs[" + i + "] '" + entries.get(i).name() + "')" : "";
      m.appendReplacement(out, Matcher.quoteReplacement(m.group() + name));
    }
    m.appendTail(out);
    return out.toString();
  }
}
