package io.hearth.cli;

import io.hearth.api.v1.ArrayStatus;
import io.hearth.api.v1.Attempt;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.ListJobsResponse;
import io.hearth.client.HearthClient;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hearth watch JOB...}: follows jobs (array jobs count by instance) until all have ended,
 * with a progress bar on stderr, then names every job and instance that did not succeed.
 * Reads the jobs again every interval (GetJob, retried through leader changes), so a watcher
 * never misses an end while a member restarts.
 */
@Command(name = "watch", description = "Follow jobs until they end: a live progress bar (queued, running, done, failed, ETA).")
final class WatchCommand extends ClientCommand {

  /** Unsuccessful instances looked up and named in the summary, at most. */
  static final int NAMED_FAILURES = 10;

  @Parameters(arity = "1..*", paramLabel = "JOB_ID", description = "Jobs or array jobs to follow.")
  List<String> jobIds;

  @Option(names = "--timeout", paramLabel = "DURATION", converter = JobFile.DurationConverter.class,
      description = "Give up after this long (exit code 6); default: wait for the end.")
  Duration timeout;

  @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s", converter = JobFile.DurationConverter.class,
      description = "How often to read the jobs (default ${DEFAULT-VALUE}).")
  Duration interval;

  @Override
  public Integer call() throws InterruptedException {
    try (HearthClient client = connection.client(hearth, Connection.JOB_ROLES)) {
      return await(client, jobIds, timeout, interval, hearth, output.json());
    }
  }

  /** Follows {@code ids} to their end (or the timeout), prints the summary, returns the exit code. */
  static int await(HearthClient client, List<String> ids, Duration timeout, Duration interval, Hearth hearth, boolean json)
      throws InterruptedException {
    Progress progress = new Progress(hearth.err, System.console() != null && !json);
    long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
    // An ended job never changes again: only the others are read again.
    Job[] latest = new Job[ids.size()];
    List<Job> jobs;
    while (true) {
      for (int i = 0; i < latest.length; i++) {
        if (latest[i] == null || !HearthClient.ended(latest[i].getState())) {
          latest[i] = client.get(ids.get(i));
        }
      }
      jobs = List.of(latest);
      Counts counts = Counts.of(jobs);
      progress.show(counts);
      if (counts.allEnded) {
        break;
      }
      if (System.nanoTime() - deadline >= 0) {
        progress.done();
        summary(client, jobs, hearth.out, json);
        hearth.err.println("hearth: still running after " + timeout.toSeconds() + "s: " + counts.line());
        return ExitCodes.STILL_RUNNING;
      }
      Thread.sleep(interval.toMillis());
    }
    progress.done();
    return summary(client, jobs, hearth.out, json) ? ExitCodes.OK : ExitCodes.JOB_FAILED;
  }

  /** Prints each job's end and every unsuccessful job or instance; true when all succeeded. */
  private static boolean summary(HearthClient client, List<Job> jobs, PrintStream out, boolean json) {
    if (json) {
      Output.json(out, ListJobsResponse.newBuilder().addAllJobs(jobs));
      return jobs.stream().allMatch(j -> j.getState() == JobState.JOB_STATE_SUCCEEDED);
    }
    boolean ok = true;
    for (Job job : jobs) {
      ok &= job.getState() == JobState.JOB_STATE_SUCCEEDED;
      if (!job.hasArray()) {
        out.println(Output.line(job) + lastAttempt(job));
        continue;
      }
      ArrayStatus a = job.getArray();
      out.println(Output.line(job) + ": " + a.getSucceeded() + " of " + a.getInstances() + " instances succeeded");
      int unsuccessful = a.getFailed() + a.getCancelled() + a.getExpired();
      int named = 0;
      for (int index : a.getUnsuccessfulInstancesList()) {
        if (named++ == NAMED_FAILURES) {
          out.println("  ... " + (unsuccessful - NAMED_FAILURES) + " more unsuccessful instances (indexes "
              + a.getUnsuccessfulInstancesList() + ")");
          break;
        }
        Job instance = client.get(job.getJobId() + "." + index);
        out.println("  instance " + Output.line(instance) + lastAttempt(instance));
      }
    }
    return ok;
  }

  private static String lastAttempt(Job job) {
    if (job.getAttemptsCount() == 0 || job.getState() == JobState.JOB_STATE_SUCCEEDED) {
      return "";
    }
    Attempt a = job.getAttempts(job.getAttemptsCount() - 1);
    String reason = Output.reason(a);
    return ": attempt " + a.getNumber() + " on " + a.getNodeId()
        + (a.hasEndedAt() ? ", exit code " + a.getExitCode() : "")
        + (reason.isEmpty() || job.getStateReason().contains(reason) ? "" : ", " + reason);
  }

  /** Instances by phase over all watched jobs; a plain job counts as one instance. */
  record Counts(int total, int queued, int running, int done, int failed, boolean allEnded) {

    static Counts of(List<Job> jobs) {
      int total = 0, queued = 0, running = 0, done = 0, failed = 0;
      boolean allEnded = true;
      for (Job j : jobs) {
        allEnded &= HearthClient.ended(j.getState());
        if (j.hasArray() && j.getArray().getInstances() > 0) {
          ArrayStatus a = j.getArray();
          total += a.getInstances();
          running += a.getRunning();
          done += a.getSucceeded();
          failed += a.getFailed() + a.getCancelled() + a.getExpired();
          queued += a.getInstances() - a.getRunning() - a.getSucceeded() - a.getFailed() - a.getCancelled() - a.getExpired();
          continue;
        }
        total++;
        switch (j.getState()) {
          case JOB_STATE_RUNNING -> running++;
          case JOB_STATE_SUCCEEDED -> done++;
          case JOB_STATE_FAILED, JOB_STATE_CANCELLED, JOB_STATE_EXPIRED -> failed++;
          default -> queued++;
        }
      }
      return new Counts(total, queued, running, done, failed, allEnded);
    }

    int ended() {
      return done + failed;
    }

    String line() {
      return "queued " + queued + "  running " + running + "  done " + done + "  failed " + failed + "  of " + total;
    }
  }

  /**
   * The progress bar on stderr: redrawn in place on a terminal, otherwise one line per change at
   * most every few seconds (and the last one), so logs of scripts stay short. ETA from the rate at
   * which instances ended since the watch began.
   */
  static final class Progress {
    private static final int WIDTH = 30;
    private static final long QUIET_NANOS = Duration.ofSeconds(3).toNanos();

    private final PrintStream err;
    private final boolean terminal;
    private final long startNanos = System.nanoTime();
    private int endedAtStart = -1;
    private String lastLine = "";
    private long lastPrinted;
    private Counts last;

    Progress(PrintStream err, boolean terminal) {
      this.err = err;
      this.terminal = terminal;
    }

    void show(Counts c) {
      if (endedAtStart < 0) {
        endedAtStart = c.ended();
      }
      last = c;
      String line = render(c);
      long now = System.nanoTime();
      if (terminal) {
        err.print("\r" + line + "\u001b[K");
        err.flush();
      } else if (!line.equals(lastLine) && (lastPrinted == 0 || now - lastPrinted >= QUIET_NANOS || c.allEnded)) {
        err.println(line);
        lastPrinted = now;
        lastLine = line;
      }
    }

    void done() {
      if (terminal) {
        err.println();
      } else if (last != null && !render(last).equals(lastLine)) {
        err.println(render(last));
      }
    }

    private String render(Counts c) {
      int filled = c.total == 0 ? WIDTH : (int) ((long) WIDTH * c.ended() / c.total);
      return "[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + c.line() + "  ETA " + eta(c);
    }

    private String eta(Counts c) {
      if (c.allEnded) {
        return "0s";
      }
      int endedSince = c.ended() - endedAtStart;
      if (endedSince <= 0) {
        return "--";
      }
      long elapsed = System.nanoTime() - startNanos;
      long remaining = (long) ((double) elapsed / endedSince * (c.total - c.ended()));
      Duration d = Duration.ofNanos(remaining);
      return d.toHours() > 0 ? d.toHours() + "h" + d.toMinutesPart() + "m" : d.toMinutes() > 0
          ? d.toMinutes() + "m" + d.toSecondsPart() + "s" : d.toSeconds() + "s";
    }
  }
}
