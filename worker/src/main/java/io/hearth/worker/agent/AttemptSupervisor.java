package io.hearth.worker.agent;

import io.hearth.api.v1.AttemptState;
import io.hearth.api.v1.AttemptUpdate;
import io.hearth.api.v1.Assignment;
import io.hearth.api.v1.Workload;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the attempts assigned to one node as real OS processes and reports their fate: RUNNING when
 * started, then SUCCEEDED, FAILED, CANCELLED, TIMED_OUT or PREEMPTED. Each attempt gets a working
 * directory {@code <workDir>/<jobId>-<attempt>} where its stdout and stderr are kept within a bound
 * ({@link AttemptLogs}, {@link BoundedLog}); an attempt is reported ended once its process exited
 * and its output was drained (or {@value #DRAIN_SECONDS} s later, when a child still holds it). Stopping is SIGTERM to the process and its descendants, then, after the grace
 * period, SIGKILL.
 *
 * <p>Threading: every method except the read-only views must be called in the owner's serial
 * context ({@code context}); process exits and timers hop back into that context, so nothing ever
 * waits on a process. The views ({@link #running()}, {@link #completed()}, {@link #busyCores()})
 * read concurrent structures and may be called from any thread.
 */
final class AttemptSupervisor {
  private static final Logger log = LoggerFactory.getLogger(AttemptSupervisor.class);
  static final long DRAIN_SECONDS = 2;
  /** Variables passed through from the agent's own environment; everything else is withheld. */
  private static final List<String> INHERITED_ENV = List.of("PATH", "LANG", "LC_ALL", "TZ");

  /** Receives the supervisor's output, in the serial context. */
  interface Listener {
    /** Called just before the set of running attempts (hence busy cores) changes. */
    void beforeBusyChange();

    void report(AttemptUpdate update);
  }

  private final String nodeId;
  private final Path workDir;
  private final Executor context;
  private final ScheduledExecutorService timer;
  private final Clock clock;
  private final Duration cancelGrace;
  private final int completedHistory;
  private final Listener listener;
  private final Map<String, String> agentEnv;
  private final SecretStore secrets;
  private final double wattsPerCore;
  private final AttemptLogs logs;

  private final Map<String, Attempt> attempts = new ConcurrentHashMap<>();
  /** Guarded by itself; oldest first, bounded by completedHistory. */
  private final LinkedHashMap<String, CompletedAttempt> completed = new LinkedHashMap<>();
  private volatile boolean closed;

  AttemptSupervisor(String nodeId, Path workDir, Executor context, ScheduledExecutorService timer,
      Clock clock, Duration cancelGrace, int completedHistory, Listener listener,
      Map<String, String> agentEnv, SecretStore secrets, double wattsPerCore, AttemptLogs logs) {
    this.logs = logs;
    this.nodeId = nodeId;
    this.wattsPerCore = wattsPerCore;
    this.secrets = secrets;
    this.workDir = workDir;
    this.context = context;
    this.timer = timer;
    this.clock = clock;
    this.cancelGrace = cancelGrace;
    this.completedHistory = completedHistory;
    this.listener = listener;
    this.agentEnv = agentEnv;
  }

  /** One attempt and its process. Fields are confined to the serial context. */
  private static final class Attempt {
    final Assignment assignment;
    final String key;
    final Path dir;
    Process process;
    Instant startedAt;
    AttemptState stopReason;
    String stopMessage = "";
    boolean forgotten;
    boolean paused;
    Instant pausedSince;
    long pausedNanos;
    List<ProcessHandle> terminated = List.of();
    ScheduledFuture<?> timeout;
    ScheduledFuture<?> kill;
    java.util.concurrent.CompletableFuture<Void> output = java.util.concurrent.CompletableFuture.completedFuture(null);

    Attempt(Assignment assignment, Path dir) {
      this.assignment = assignment;
      this.key = key(assignment.getJobId(), assignment.getFencingToken());
      this.dir = dir;
    }
  }

  static String key(String jobId, long token) {
    return jobId + '#' + token;
  }

  void start(Assignment a) {
    if (closed) {
      return;
    }
    String key = key(a.getJobId(), a.getFencingToken());
    Attempt existing = attempts.get(key);
    if (existing != null) {
      // A repeated assignment (e.g. after a reconnect): repeat our answer, do not run it twice.
      if (!existing.forgotten && existing.stopReason == null) {
        listener.report(update(existing.assignment, AttemptState.ATTEMPT_STATE_RUNNING, 0, ""));
      }
      return;
    }
    CompletedAttempt done;
    synchronized (completed) {
      done = completed.get(key);
    }
    if (done != null) {
      listener.report(update(a, done.state(), done.exitCode(), done.message()));
      return;
    }
    Path dir = workDir.resolve(safeName(a.getJobId()) + "-" + a.getAttempt());
    Attempt attempt = new Attempt(a, dir);
    Workload w = a.getWorkload();
    if (w.getArgvCount() == 0) {
      finish(attempt, AttemptState.ATTEMPT_STATE_FAILED, -1, "workload has no argv");
      return;
    }
    // Secret values live only in this map and the child's environment: never logged, never reported.
    Map<String, String> secretEnv = new java.util.HashMap<>();
    for (io.hearth.api.v1.SecretRef ref : w.getSecretsList()) {
      java.util.Optional<String> value;
      try {
        value = secrets.resolve(ref.getKey());
      } catch (RuntimeException e) {
        value = java.util.Optional.empty();
      }
      if (value.isEmpty()) {
        finish(attempt, AttemptState.ATTEMPT_STATE_FAILED, -1,
            "secret key '" + ref.getKey() + "' not found in this node's secret store");
        return;
      }
      secretEnv.put(ref.getEnvName(), value.get());
    }
    ProcessBuilder pb = new ProcessBuilder(w.getArgvList());
    try {
      Files.createDirectories(dir);
      pb.directory(dir.toFile());
      pb.redirectOutput(ProcessBuilder.Redirect.PIPE);
      pb.redirectError(ProcessBuilder.Redirect.PIPE);
      pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      Map<String, String> env = pb.environment();
      env.clear();
      for (String name : INHERITED_ENV) {
        String v = agentEnv.get(name);
        if (v != null) {
          env.put(name, v);
        }
      }
      env.put("HOME", dir.toString());
      env.put("TMPDIR", dir.toString());
      env.putAll(w.getEnvironmentMap());
      env.putAll(secretEnv);
      env.put("HEARTH_JOB_ID", a.getJobId());
      env.put("HEARTH_ATTEMPT", Integer.toString(a.getAttempt()));
      env.put("HEARTH_FENCING_TOKEN", Long.toString(a.getFencingToken()));
      env.put("HEARTH_NODE_ID", nodeId);
      listener.beforeBusyChange();
      attempt.process = pb.start();
      attempt.output = logs.pump(dir, a.getJobId(), a.getFencingToken(), attempt.process);
    } catch (IOException | RuntimeException e) {
      if (attempt.process != null) {
        attempt.process.destroyForcibly();
      }
      log.warn("job {} attempt {} could not start: {}", a.getJobId(), a.getAttempt(), e.getMessage());
      finish(attempt, AttemptState.ATTEMPT_STATE_FAILED, -1, "could not start: " + e.getMessage());
      return;
    }
    attempt.startedAt = clock.instant();
    attempts.put(key, attempt);
    log.info("job {} attempt {} started as pid {} ({} cores)", a.getJobId(), a.getAttempt(),
        attempt.process.pid(), a.getCores());
    listener.report(update(a, AttemptState.ATTEMPT_STATE_RUNNING, 0, ""));
    if (a.hasMaxRuntime()) {
      Duration max = Protos.duration(a.getMaxRuntime());
      if (!max.isNegative() && !max.isZero()) {
        attempt.timeout = timer.schedule(() -> context.execute(() -> stop(attempt,
            AttemptState.ATTEMPT_STATE_TIMED_OUT, cancelGrace, "ran longer than " + max)),
            max.toNanos(), TimeUnit.NANOSECONDS);
      }
    }
    // Report the end once the output is on disk, so a log asked for right after is complete.
    attempt.process.onExit()
        .thenCompose(p -> attempt.output.copy().completeOnTimeout(null, DRAIN_SECONDS, TimeUnit.SECONDS))
        .whenComplete((p, e) -> context.execute(() -> exited(attempt)));
  }

  /** Stops an attempt because its job was cancelled; reports CANCELLED when it has exited. */
  void cancel(String jobId, long token, String reason) {
    Attempt a = find(jobId, token, "cancellation");
    if (a != null) {
      stop(a, AttemptState.ATTEMPT_STATE_CANCELLED, cancelGrace, reason);
    }
  }

  /** Stops an attempt to make room; reports PREEMPTED when it has exited. */
  void preempt(String jobId, long token, String reason, Duration grace) {
    Attempt a = find(jobId, token, "preemption");
    if (a != null) {
      stop(a, AttemptState.ATTEMPT_STATE_PREEMPTED, grace, reason);
    }
  }

  /**
   * The scheduler refused a report on this attempt: stop its process if it still runs and never
   * report on it again. Returns whether a process was running.
   */
  boolean forget(String jobId, long token) {
    Attempt a = attempts.get(key(jobId, token));
    if (a == null || a.forgotten) {
      return false;
    }
    a.forgotten = true;
    stop(a, AttemptState.ATTEMPT_STATE_CANCELLED, cancelGrace, "update rejected");
    return true;
  }

  private Attempt find(String jobId, long token, String what) {
    Attempt a = attempts.get(key(jobId, token));
    if (a == null || a.forgotten) {
      log.debug("ignored {} of job {} token {}: no such attempt running here", what, jobId, token);
      return null;
    }
    return a;
  }

  private void stop(Attempt a, AttemptState reason, Duration grace, String message) {
    if (a.stopReason != null || !a.process.isAlive()) {
      return;
    }
    if (a.paused) {
      // A stopped process would not act on SIGTERM: let it run again so it can end cleanly.
      setPaused(a, false);
    }
    a.stopReason = reason;
    a.stopMessage = message == null ? "" : message;
    log.info("job {} attempt {}: stopping ({}), grace {} ms", a.assignment.getJobId(),
        a.assignment.getAttempt(), a.stopMessage, grace.toMillis());
    // Remember the tree now: once the parent dies its children are re-parented and lost to us.
    a.terminated = tree(a.process);
    if (grace.isZero() || grace.isNegative()) {
      a.terminated.forEach(ProcessHandle::destroyForcibly);
      return;
    }
    a.terminated.forEach(ProcessHandle::destroy);
    List<ProcessHandle> victims = a.terminated;
    a.kill = timer.schedule(() -> victims.forEach(h -> {
      if (h.isAlive()) {
        h.destroyForcibly();
      }
    }), grace.toNanos(), TimeUnit.NANOSECONDS);
  }

  private static List<ProcessHandle> tree(Process p) {
    List<ProcessHandle> all = new ArrayList<>();
    p.descendants().forEach(all::add);
    all.add(p.toHandle());
    return all;
  }

  private void exited(Attempt a) {
    if (a.timeout != null) {
      a.timeout.cancel(false);
    }
    // The process is gone; make sure nothing it started lingers after a stop.
    if (a.stopReason != null) {
      a.terminated.forEach(h -> {
        if (h.isAlive()) {
          h.destroyForcibly();
        }
      });
      if (a.kill != null) {
        a.kill.cancel(false);
      }
    }
    listener.beforeBusyChange();
    attempts.remove(a.key);
    if (closed) {
      return;
    }
    int code = a.process.exitValue();
    if (a.forgotten) {
      log.info("job {} attempt {} stopped after its update was rejected (exit {})",
          a.assignment.getJobId(), a.assignment.getAttempt(), code);
      return;
    }
    AttemptState state;
    String message;
    if (a.stopReason != null) {
      state = a.stopReason;
      message = a.stopMessage;
    } else if (code == 0) {
      state = AttemptState.ATTEMPT_STATE_SUCCEEDED;
      message = "";
    } else {
      state = AttemptState.ATTEMPT_STATE_FAILED;
      message = "exit code " + code;
    }
    finish(a, state, code, message);
  }

  private void finish(Attempt a, AttemptState state, int exitCode, String message) {
    Assignment as = a.assignment;
    log.info("job {} attempt {} ended {} (exit {})", as.getJobId(), as.getAttempt(),
        state.name().substring("ATTEMPT_STATE_".length()), exitCode);
    CompletedAttempt record = new CompletedAttempt(as.getJobId(), as.getFencingToken(), state,
        exitCode, nodeId, as.getAttempt(), message, clock.instant());
    synchronized (completed) {
      completed.put(a.key, record);
      while (completed.size() > completedHistory) {
        completed.remove(completed.keySet().iterator().next());
      }
    }
    AttemptUpdate.Builder u = update(as, state, exitCode, message).toBuilder();
    if (a.startedAt != null) {
      long pausedNanos = a.pausedNanos + (a.pausedSince != null ? Duration.between(a.pausedSince, clock.instant()).toNanos() : 0);
      double hours = Math.max(0, java.time.Duration.between(a.startedAt, clock.instant()).toNanos() - pausedNanos) / 3.6e12;
      u.setEnergyWh(as.getCores() * wattsPerCore * hours);
    }
    listener.report(u.build());
  }

  private AttemptUpdate update(Assignment a, AttemptState state, int exitCode, String message) {
    return AttemptUpdate.newBuilder()
        .setJobId(a.getJobId())
        .setFencingToken(a.getFencingToken())
        .setState(state)
        .setExitCode(exitCode)
        .setMessage(message == null ? "" : message)
        .setTime(Protos.timestamp(clock.instant()))
        .build();
  }

  /** The attempts whose process runs (excluding those being stopped after a rejected update). */
  List<RunningAttempt> running() {
    List<RunningAttempt> out = new ArrayList<>();
    for (Attempt a : attempts.values()) {
      if (!a.forgotten) {
        Assignment as = a.assignment;
        out.add(new RunningAttempt(as.getJobId(), as.getFencingToken(), as.getAttempt(),
            as.getCores(), a.process.pid(), a.dir, a.startedAt));
      }
    }
    return out;
  }

  List<CompletedAttempt> completed() {
    synchronized (completed) {
      return List.copyOf(completed.values());
    }
  }

  /** Cores of every live process that is not paused, including ones being stopped: they still draw power. */
  int busyCores() {
    int sum = 0;
    for (Attempt a : attempts.values()) {
      if (!a.paused) {
        sum += Math.max(0, a.assignment.getCores());
      }
    }
    return sum;
  }

  /** Cores of the attempts paused by {@link #throttle}. */
  int pausedCores() {
    int sum = 0;
    for (Attempt a : attempts.values()) {
      if (a.paused) {
        sum += Math.max(0, a.assignment.getCores());
      }
    }
    return sum;
  }

  /**
   * Thermal throttling: pauses (SIGSTOP) the most recently started attempts until their draw fits
   * {@code targetWatts}, and resumes (SIGCONT) the oldest paused ones while the whole of their draw
   * fits again. Paused processes draw no power and do not progress; the scheduler moves them
   * elsewhere if the room stays warm. Runs in the serial context.
   */
  void throttle(double targetWatts) {
    double slack = wattsPerCore / 2;
    List<Attempt> running = new ArrayList<>();
    for (Attempt a : attempts.values()) {
      if (!a.forgotten && a.stopReason == null && a.process != null && a.process.isAlive()) {
        running.add(a);
      }
    }
    running.sort(java.util.Comparator.comparing((Attempt a) -> a.startedAt == null ? Instant.MIN : a.startedAt));
    double draw = busyCores() * wattsPerCore;
    for (int i = running.size() - 1; i >= 0 && draw > targetWatts + slack; i--) {
      Attempt a = running.get(i);
      if (!a.paused) {
        listener.beforeBusyChange();
        setPaused(a, true);
        draw -= a.assignment.getCores() * wattsPerCore;
      }
    }
    for (Attempt a : running) {
      double more = a.assignment.getCores() * wattsPerCore;
      if (a.paused && draw + more <= targetWatts + slack) {
        listener.beforeBusyChange();
        setPaused(a, false);
        draw += more;
      }
    }
  }

  private void setPaused(Attempt a, boolean pause) {
    List<String> cmd = new ArrayList<>(List.of("kill", pause ? "-STOP" : "-CONT"));
    for (ProcessHandle h : tree(a.process)) {
      cmd.add(Long.toString(h.pid()));
    }
    try {
      Process k = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      k.getInputStream().readAllBytes();
      k.waitFor(5, TimeUnit.SECONDS);
    } catch (IOException e) {
      log.warn("job {}: cannot {} its processes: {}", a.assignment.getJobId(), pause ? "pause" : "resume", e.getMessage());
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    Instant now = clock.instant();
    if (pause) {
      a.pausedSince = now;
    } else if (a.pausedSince != null) {
      a.pausedNanos += Duration.between(a.pausedSince, now).toNanos();
      a.pausedSince = null;
    }
    a.paused = pause;
    log.info("job {} attempt {}: {} (thermal throttling)", a.assignment.getJobId(), a.assignment.getAttempt(),
        pause ? "paused" : "resumed");
  }

  /**
   * Kills every process (SIGKILL to each tree) and waits up to {@code wait} for them to exit. No
   * further reports are made. Callable from any thread.
   */
  void killAll(Duration wait) {
    closed = true;
    List<Process> procs = new ArrayList<>();
    for (Attempt a : attempts.values()) {
      Process p = a.process;
      if (p != null) {
        procs.add(p);
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
    }
    long deadline = System.nanoTime() + wait.toNanos();
    for (Process p : procs) {
      try {
        long left = deadline - System.nanoTime();
        if (left <= 0 || !p.waitFor(left, TimeUnit.NANOSECONDS)) {
          break;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
  }

  static String safeName(String s) {
    String cleaned = s.replaceAll("[^A-Za-z0-9._-]", "_");
    return cleaned.isEmpty() ? "_" : cleaned;
  }
}
