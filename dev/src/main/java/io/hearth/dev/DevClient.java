package io.hearth.dev;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.hearth.api.v1.Attempt;
import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.api.v1.Tier;
import io.hearth.api.v1.Workload;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The smallest useful client: submit one job and wait for it to end, or show one job. Exit codes:
 * 0 the job succeeded (or was shown), 1 it ended otherwise or the call failed, 2 bad arguments.
 */
final class DevClient {

  static final String DEFAULT_CERTS = "hearth-data/certs";

  private DevClient() {}

  static int submit(String[] args) throws InterruptedException {
    int dashes = Arrays.asList(args).indexOf("--");
    if (dashes < 0 || dashes == args.length - 1) {
      throw new IllegalArgumentException("submit: argv missing (expected: submit [flags] -- PROGRAM ARGS...)");
    }
    Map<String, String> flags = DevMain.flags(Arrays.copyOfRange(args, 0, dashes),
        List.of("--scheduler", "--tenant", "--certs", "--cores", "--wait-s"));
    List<String> argv = new ArrayList<>(Arrays.asList(args).subList(dashes + 1, args.length));
    int cores = intFlag(flags, "--cores", 1, 1, 256);
    int waitSeconds = intFlag(flags, "--wait-s", 60, 0, 86_400);
    ManagedChannel channel = channel(flags);
    try {
      JobServiceGrpc.JobServiceBlockingStub jobs = stub(channel, flags);
      JobSpec spec = JobSpec.newBuilder()
          .setRequestId(UUID.randomUUID().toString())
          .setName(String.join(" ", argv))
          .setTier(Tier.TIER_ON_DEMAND)
          .setMinSecurityClass(SecurityClass.SECURITY_CLASS_SEALED)
          .setCores(cores)
          .setMemoryMib(256)
          .setWorkload(Workload.newBuilder().addAllArgv(argv))
          .build();
      Job job = jobs.submitJob(SubmitJobRequest.newBuilder().setSpec(spec).build()).getJob();
      System.out.println("submitted " + job.getJobId());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSeconds);
      while (!ended(job.getState()) && System.nanoTime() < deadline) {
        Thread.sleep(250);
        job = jobs.getJob(GetJobRequest.newBuilder().setJobId(job.getJobId()).build());
      }
      print(job);
      return job.getState() == JobState.JOB_STATE_SUCCEEDED ? 0 : 1;
    } catch (StatusRuntimeException e) {
      System.err.println("hearth-dev: " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
      return 1;
    } finally {
      channel.shutdownNow();
    }
  }

  static int get(String[] args) {
    if (args.length == 0) {
      throw new IllegalArgumentException("get: JOB_ID missing");
    }
    String jobId = args[args.length - 1];
    Map<String, String> flags = DevMain.flags(Arrays.copyOfRange(args, 0, args.length - 1),
        List.of("--scheduler", "--tenant", "--certs"));
    ManagedChannel channel = channel(flags);
    try {
      print(stub(channel, flags).getJob(GetJobRequest.newBuilder().setJobId(jobId).build()));
      return 0;
    } catch (StatusRuntimeException e) {
      System.err.println("hearth-dev: " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
      return 1;
    } finally {
      channel.shutdownNow();
    }
  }

  private static void print(Job job) {
    System.out.println("job " + job.getJobId() + " " + job.getState().name().substring("JOB_STATE_".length())
        + (job.getStateReason().isEmpty() ? "" : " (" + job.getStateReason() + ")"));
    if (job.hasPending()) {
      System.out.println("  waiting: " + job.getPending().getSummary());
    }
    for (Attempt a : job.getAttemptsList()) {
      System.out.println("  attempt " + a.getNumber() + " on node " + a.getNodeId() + ": "
          + a.getState().name().substring("ATTEMPT_STATE_".length())
          + (a.hasEndedAt() ? ", exit code " + a.getExitCode() : "") + ", fencing token " + a.getFencingToken());
    }
  }

  private static boolean ended(JobState s) {
    return s == JobState.JOB_STATE_SUCCEEDED || s == JobState.JOB_STATE_FAILED
        || s == JobState.JOB_STATE_CANCELLED || s == JobState.JOB_STATE_EXPIRED;
  }

  private static ManagedChannel channel(Map<String, String> flags) {
    String target = flags.getOrDefault("--scheduler", "127.0.0.1:7070");
    int colon = target.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("--scheduler: '" + target + "' (expected: host:port)");
    }
    int port = intFlag(Map.of("--port", target.substring(colon + 1)), "--port", 7070, 1, 65535);
    // The caller is whoever its certificate says: tenant/ID from the dev CA folder.
    java.nio.file.Path certs = java.nio.file.Path.of(flags.getOrDefault("--certs", DEFAULT_CERTS));
    String tenant = flags.getOrDefault("--tenant", "acme");
    String name = "tenant-" + tenant;
    if (!java.nio.file.Files.exists(certs.resolve(name + ".pem"))) {
      if (!java.nio.file.Files.exists(certs.resolve(io.hearth.certs.DevCa.CA_KEY))) {
        throw new IllegalArgumentException("--certs: '" + certs + "' has no " + name + ".pem and no dev CA to issue it"
            + " (start dev mode first, or run hearth-certs init)");
      }
      io.hearth.certs.DevCa.load(certs).issueClient("tenant", tenant, null).save(certs, name);
    }
    return io.grpc.Grpc.newChannelBuilderForAddress(target.substring(0, colon), port,
        io.hearth.worker.agent.Tls.fromDirectory(certs, name)).build();
  }

  private static JobServiceGrpc.JobServiceBlockingStub stub(ManagedChannel channel, Map<String, String> flags) {
    return JobServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  static int intFlag(Map<String, String> flags, String name, int def, int min, int max) {
    String v = flags.get(name);
    if (v == null) {
      return def;
    }
    int n;
    try {
      n = Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + ": '" + v + "' (expected: an integer " + min + ".." + max + ")");
    }
    if (n < min || n > max) {
      throw new IllegalArgumentException(name + ": " + n + " (expected: " + min + ".." + max + ")");
    }
    return n;
  }

  static double doubleFlag(Map<String, String> flags, String name, double def, double min, double max) {
    String v = flags.get(name);
    if (v == null) {
      return def;
    }
    double d;
    try {
      d = Double.parseDouble(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + ": '" + v + "' (expected: a number " + min + ".." + max + ")");
    }
    if (!(d >= min && d <= max)) {
      throw new IllegalArgumentException(name + ": " + v + " (expected: " + min + ".." + max + ")");
    }
    return d;
  }
}
