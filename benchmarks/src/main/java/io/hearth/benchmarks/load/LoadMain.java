package io.hearth.benchmarks.load;

import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.ManagedChannel;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.api.v1.SubmitJobResponse;
import io.hearth.api.v1.SubmitJobsRequest;
import io.hearth.api.v1.Tier;
import io.hearth.api.v1.Workload;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * End-to-end load of one scheduler (issue #11). In one run:
 * <ol>
 *   <li>the ceiling: a bare grpc-java unary echo over loopback, plaintext and mTLS ({@link EchoCeiling});
 *   <li>a scheduler in its own process, or {@code --members} of them in one cluster
 *       ({@link SchedulerCluster}), idle CPU and heap after GC;
 *   <li>N simulated nodes over real mTLS streams from this process ({@link LoadNodes}), then idle CPU
 *       and heap again: the cost of the node streams;
 *   <li>unary SubmitJob, K in flight (closed loop); SubmitJobs in batches, B in flight;
 *   <li>unary SubmitJob at a fraction of the unary peak (open loop) for the submit -> assigned latency.
 * </ol>
 * Every phase is bounded by a count and a time; the scheduler is killed at the end, also on failure.
 * Prints the summary and writes it as Markdown ({@code --out}).
 */
public final class LoadMain {

  private LoadMain() {}

  public static void main(String[] args) throws Exception {
    LoadOptions o;
    try {
      if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
        System.out.print(LoadOptions.usage());
        return;
      }
      o = LoadOptions.parse(args);
      checkOpenFiles("--nodes", o.nodes() + 4 * o.tenants() + 200);
    } catch (IllegalArgumentException e) {
      System.err.println("hearth-load: " + e.getMessage());
      System.err.print(LoadOptions.usage());
      System.exit(2);
      return;
    }
    LoadReport report = run(o, String.join(" ", args));
    writeReport(report.markdown(), o.out());
    System.exit(0);
  }

  static LoadReport run(LoadOptions o, String argLine) throws Exception {
    LoadReport report = new LoadReport();
    report.context("$ java -cp benchmarks/target/benchmarks.jar io.hearth.benchmarks.load.LoadMain " + argLine);
    report.context("date: " + ZonedDateTime.now());
    report.context("machine: nproc " + Runtime.getRuntime().availableProcessors() + ", " + memTotal() + ", java "
        + System.getProperty("java.vm.version") + " (" + System.getProperty("java.vm.name") + ")");
    report.context("load average at start: " + loadAverage());

    Path dir = Files.createTempDirectory("hearth-load-");
    LoadPki pki = new LoadPki(dir);
    java.util.function.Supplier<SubmitJobRequest> payload = () -> SubmitJobRequest.newBuilder().setSpec(spec(requestId("e"))).build();

    double echoPlain = 0;
    double echoTls = 0;
    if (!o.skipEcho()) {
      System.out.println("echo ceiling, plaintext ...");
      // A discarded run first: the JIT is shared, so neither measured echo starts cold.
      EchoCeiling.plaintext(payload, o.tenants(), o.inFlight(), Math.min(o.maxCalls(), 50_000), Math.min(3, o.phaseSeconds()));
      CallLoop.Result plain = EchoCeiling.plaintext(payload, o.tenants(), o.inFlight(), o.maxCalls(), o.phaseSeconds());
      System.out.println("echo ceiling, mTLS ...");
      CallLoop.Result tls = EchoCeiling.mtls(pki, payload, o.tenants(), o.inFlight(), o.maxCalls(), o.phaseSeconds());
      echoPlain = plain.callsPerSecond();
      echoTls = tls.callsPerSecond();
      report.row("echo ceiling, plaintext", LoadReport.rate(echoPlain), callNote(plain, o.inFlight(), o.tenants()));
      report.row("echo ceiling, mTLS", LoadReport.rate(echoTls), callNote(tls, o.inFlight(), o.tenants()));
    }

    AssignLatency latency = new AssignLatency();
    List<ManagedChannel> tenants = new ArrayList<>();
    SchedulerCluster scheduler = null;
    LoadNodes nodes = new LoadNodes(latency, o.jobMillis());
    SchedulerCluster[] toKill = new SchedulerCluster[1];
    Thread killer = new Thread(() -> {
      if (toKill[0] != null) {
        toKill[0].close();
      }
    }, "hearth-load-kill-scheduler");
    Runtime.getRuntime().addShutdownHook(killer);
    try {
      System.out.printf("starting %d scheduler member(s) ...%n", o.members());
      scheduler = SchedulerCluster.start(o, dir, pki);
      toKill[0] = scheduler;
      SchedulerCluster sched = scheduler;
      for (SchedulerProcess m : scheduler.members()) {
        report.context("scheduler member: pid " + m.pid() + ", -Xmx" + o.schedulerHeapMb() + "m, GC " + o.schedulerGc()
            + (o.schedulerJvmOptions().isEmpty() ? "" : ", JVM options " + String.join(" ", o.schedulerJvmOptions()))
            + (o.jobRetentionSeconds() >= 0 ? ", jobs.retention-seconds " + o.jobRetentionSeconds() : "") + ", log " + m.log());
      }
      for (int i = 0; i < o.tenants(); i++) {
        tenants.add(Channels.open(scheduler.portFor(i), pki.tenant("load-" + i)));
      }
      awaitAccepting(tenants, latency, 180);
      // A tenth of the nodes first, so one-time costs (classes, pools, JIT) are in the baseline;
      // heap and idle CPU are then measured around the other nine tenths.
      int warm = o.nodes() >= 10 ? o.nodes() / 10 : 0;
      System.out.printf("connecting %d + %d nodes ...%n", warm, o.nodes() - warm);
      int warmWelcomed = nodes.connect(pki, scheduler::portFor, warm, o.nodeCores(), o.radiatorPercent(), 64, 60 + warm / 20.0);
      Thread.sleep(2000);
      java.util.Map<String, long[]> classes0 = scheduler.classHistogram();
      long heap0 = scheduler.heapUsedAfterGc();
      double cpu0 = idleCpu(scheduler, o.idleSeconds());

      long t0 = System.nanoTime();
      int welcomed = nodes.connect(pki, scheduler::portFor, o.nodes() - warm, o.nodeCores(), o.radiatorPercent(), 64, 60 + o.nodes() / 20.0);
      double connectSeconds = (System.nanoTime() - t0) / 1e9;
      int measured = welcomed - warmWelcomed;
      report.row("nodes welcomed", String.format("%,d of %,d", welcomed, o.nodes()),
          String.format("%,d, then %,d in %.1f s; one mTLS connection and Connect stream each, at most 64 handshakes at a time; %d cores each, %d %% radiators",
              warmWelcomed, measured, connectSeconds, o.nodeCores(), o.radiatorPercent()));
      if (welcomed < o.nodes()) {
        report.note("Only " + welcomed + " of " + o.nodes() + " nodes were welcomed; first error: " + nodes.firstError());
      }
      Thread.sleep(2000);
      java.util.Map<String, long[]> classes1 = scheduler.classHistogram();
      long heap1 = scheduler.heapUsedAfterGc();
      double cpu1 = idleCpu(scheduler, o.idleSeconds());
      // JFR costs CPU itself: the profile of the idle scheduler is a second window, not the measured one.
      String idleProfile = profiled(scheduler.first(), dir, "idle", o.jfr() && o.idleSeconds() > 0,
          () -> Thread.sleep(o.idleSeconds() * 1000L));
      double heapPerNode = measured <= 0 ? 0 : (heap1 - heap0) / (double) measured;
      report.row("scheduler heap after GC, " + warmWelcomed + " / " + welcomed + " nodes", String.format("%,.1f MiB / %,.1f MiB",
          heap0 / 1048576.0, heap1 / 1048576.0), "jcmd GC.run, then GC.heap_info 'used'");
      report.row("scheduler heap per connected node", String.format("%,.0f B", heapPerNode), "difference / the " + measured + " nodes added");
      if (measured > 0) {
        report.note("Live heap added per node, by class (jcmd GC.class_histogram, " + warmWelcomed + " then " + welcomed
            + " nodes connected):\n\n```\n" + String.join("\n", classGrowth(classes0, classes1, measured, 15)) + "\n```");
      }
      if (idleProfile != null) {
        report.note("JFR of the scheduler over the idle window with " + welcomed + " nodes (telemetry only). " + idleProfile);
      }
      if (o.idleSeconds() > 0) {
        report.row("scheduler CPU idle, " + warmWelcomed + " / " + welcomed + " nodes",
            String.format("%.1f %% / %.1f %% of one core", 100 * cpu0, 100 * cpu1),
            String.format("/proc/PID/stat utime+stime over %d s each; telemetry every %d s", o.idleSeconds(), o.telemetrySeconds()));
      }

      Phase[] measuredPhases = new Phase[2];
      String loadProfile = profiled(scheduler.first(), dir, "submit", o.jfr(), () -> {
        measuredPhases[0] = unaryPhase(o, tenants, latency, sched);
        measuredPhases[1] = batchPhase(o, tenants, latency, sched);
      });
      Phase unary = measuredPhases[0];
      Phase batch = measuredPhases[1];
      report.row("unary SubmitJob, accepted", LoadReport.rate(unary.run().opsPerSecond()), callNote(unary.run(), o.inFlight(), o.tenants()));
      report.row("unary SubmitJob, accepted and placed", LoadReport.rate(unary.placedPerSecond()), unary.placedNote());
      report.row("unary SubmitJob, submit -> assigned (at peak)", LoadReport.percentiles(unary.assign()), "closed loop: queueing included");
      report.row("SubmitJobs x" + o.batchSize() + ", jobs accepted", LoadReport.rate(batch.run().opsPerSecond()),
          callNote(batch.run(), o.batchesInFlight(), o.tenants()) + " (calls: " + LoadReport.rate(batch.run().callsPerSecond()) + ")");
      report.row("SubmitJobs x" + o.batchSize() + ", jobs accepted and placed", LoadReport.rate(batch.placedPerSecond()), batch.placedNote());
      if (loadProfile != null) {
        report.note("JFR of the scheduler over the unary and batch phases. " + loadProfile);
      }

      double rate = Math.max(1, o.latencyFraction() * unary.placedPerSecond());
      // The batch phase leaves tens of thousands of jobs finishing and being followed up, and the
      // collector cleaning up after them: the latency at half the peak is that of a settled
      // scheduler, so it waits (bounded) until the scheduler's CPU is back near its idle figure.
      Settled settled = settle(scheduler, cpu1 + SETTLED_ABOVE_IDLE, SETTLE_MAX_SECONDS);
      System.out.printf("latency at %.0f submissions/s ...%n", rate);
      // Steady state: the same rate for a few seconds first, its latencies discarded (the earlier
      // phases' jobs are still reporting and being followed up when their last one is assigned).
      double warmSeconds = Math.min(3, o.phaseSeconds());
      phase(latency, scheduler, drainSeconds(o), () -> CallLoop.run(Math.min(4096, 8 * o.inFlight()), o.maxJobs(), warmSeconds, rate,
          unary(tenants, latency, "lw")));
      Phase paced = phase(latency, scheduler, drainSeconds(o), () -> CallLoop.run(Math.min(4096, 8 * o.inFlight()), o.maxJobs(), o.phaseSeconds(), rate,
          unary(tenants, latency, "l")));
      String pacedName = String.format("submit -> assigned at %.0f %% of the unary peak (%,.0f /s offered, %,.0f /s accepted)",
          100 * o.latencyFraction(), rate, paced.run().opsPerSecond());
      report.row(pacedName, LoadReport.percentiles(paced.assign()), "open loop, from each call's due time to the node receiving the Assignment,"
          + String.format(" after %.0f s at the same rate whose latencies are discarded; ", warmSeconds) + settled.note(SETTLED_ABOVE_IDLE)
          + "; " + paced.placedNote());
      report.row("unary SubmitJob response at that rate", LoadReport.percentiles(paced.run().latencyMicros()), "from the due time");

      // What the run's jobs leave on the heap: every job kept (the retention decides how long).
      long accepted = unary.run().ops() + batch.run().ops() + paced.run().ops();
      long heapEnd = scheduler.heapUsedAfterGc();
      report.row("scheduler heap after GC at the end", String.format("%,.1f MiB: %,.0f B per job above the %,.1f MiB with the"
              + " nodes connected", heapEnd / 1048576.0, (heapEnd - heap1) / (double) Math.max(1, accepted), heap1 / 1048576.0),
          String.format("%,d jobs accepted in the measured phases (a few thousand more in warm-ups); jobs.retention-seconds %s",
              accepted, o.jobRetentionSeconds() >= 0 ? Long.toString(o.jobRetentionSeconds()) : "the scheduler's default"));
      report.row("node streams", String.format("%,d telemetry reports, %d disconnects, %d refused reports",
          nodes.telemetrySent(), nodes.disconnects(), nodes.rejectedUpdates()), "over the whole run");
      report.context("load average at end: " + loadAverage());

      // Acceptance lines of issue #11 (the three-member line needs a cluster run: not in this tool yet).
      report.verdict("1. unary SubmitJob accepted and placed >= 25 % of the mTLS echo ceiling", ">= 25 %",
          echoTls > 0 ? String.format("%.1f %% (%,.0f of %,.0f /s)", 100 * unary.placedPerSecond() / echoTls, unary.placedPerSecond(), echoTls) : "no echo run",
          echoTls > 0 ? unary.placedPerSecond() >= 0.25 * echoTls : null);
      report.verdict("1. SubmitJobs in batches of 100, jobs accepted", ">= 100,000 /s",
          LoadReport.rate(batch.run().opsPerSecond()), o.batchSize() == 100 ? batch.run().opsPerSecond() >= 100_000 : null);
      boolean fullScale = welcomed >= 10_000;
      long p99 = paced.assign().getTotalCount() == 0 ? Long.MAX_VALUE : paced.assign().getValueAtPercentile(99);
      report.verdict("2. submit -> assigned p99 at 10,000 nodes and half of peak", "<= 20 ms",
          (p99 == Long.MAX_VALUE ? "no samples" : LoadReport.millis(p99)) + " at " + welcomed + " nodes", fullScale ? p99 <= 20_000 : null);
      report.verdict("3. scheduler heap per connected node", "<= 4 KB", String.format("%,.0f B (%,d nodes added to %,d)", heapPerNode, measured, warmWelcomed),
          measured > 0 ? heapPerNode <= 4096 : null);
      double streamCpu = Math.max(0, cpu1 - cpu0) * 10_000.0 / Math.max(1, measured) * (10.0 / o.telemetrySeconds());
      report.verdict("3. 10,000 node streams, telemetry every 10 s", "< 25 % of one core",
          String.format("%.1f %% (with - without nodes, scaled linearly to 10,000 nodes at 10 s)", 100 * streamCpu),
          o.idleSeconds() > 0 && measured > 0 ? streamCpu < 0.25 : null);
      report.verdict("4. three members >= 40 % of one member", ">= 40 %",
          o.members() == 3 ? "this run: " + o.members() + " members; compare its unary placed rate with a one-member run" : "one member in this run",
          null);
      return report;
    } finally {
      nodes.close();
      Channels.closeAll(tenants);
      if (scheduler != null) {
        for (SchedulerProcess m : scheduler.members()) {
          if (!m.alive()) {
            report.note("Scheduler pid " + m.pid() + " had exited before the end of the run; its log ends:\n\n```\n" + m.tail() + "\n```");
          }
        }
        scheduler.close();
      }
      try {
        Runtime.getRuntime().removeShutdownHook(killer);
      } catch (IllegalStateException ignored) {
        // already shutting down
      }
    }
  }

  private static Phase unaryPhase(LoadOptions o, List<ManagedChannel> tenants, AssignLatency latency, SchedulerCluster s)
      throws Exception {
    System.out.println("unary SubmitJob ...");
    // Warm-up, not counted; then wait until its jobs are placed.
    CallLoop.run(o.inFlight(), Math.min(o.maxJobs(), 20_000), Math.min(2, o.phaseSeconds()), 0, unary(tenants, latency, "w"));
    return phase(latency, s, drainSeconds(o), () -> CallLoop.run(o.inFlight(), o.maxJobs(), o.phaseSeconds(), 0, unary(tenants, latency, "u")));
  }

  private static Phase batchPhase(LoadOptions o, List<ManagedChannel> tenants, AssignLatency latency, SchedulerCluster s)
      throws Exception {
    System.out.println("SubmitJobs batches ...");
    return phase(latency, s, drainSeconds(o), () -> CallLoop.run(o.batchesInFlight(), Math.max(1, o.maxJobs() / o.batchSize()),
        o.phaseSeconds(), 0, batch(tenants, latency, o.batchSize())));
  }

  /** How long a phase waits for the jobs before it (and its own) to be assigned. */
  private static int drainSeconds(LoadOptions o) {
    return (int) Math.max(60, 6 * o.phaseSeconds());
  }

  interface Body {
    void run() throws Exception;
  }

  /** Runs {@code body}, recorded by JFR in the scheduler when {@code on}; the summary as Markdown, or null. */
  private static String profiled(SchedulerProcess s, Path dir, String name, boolean on, Body body) throws Exception {
    if (!on) {
      body.run();
      return null;
    }
    Path file = dir.resolve("scheduler-" + name + ".jfr");
    s.jcmd("JFR.start", "name=" + name, "settings=profile");
    try {
      body.run();
    } finally {
      s.jcmd("JFR.dump", "name=" + name, "filename=" + file);
      s.jcmd("JFR.stop", "name=" + name);
    }
    JfrSummary j = JfrSummary.of(file);
    return j.samples + " execution samples (" + file + "). Threads:\n\n```\n" + String.join("\n", j.top(j.threads, 12))
        + "\n```\n\nTop frames (self):\n\n```\n" + String.join("\n", j.top(j.topFrames, 15))
        + "\n```\n\nHearth classes on the stack (inclusive, once per sample):\n\n```\n" + String.join("\n", j.top(j.hearthClasses, 20))
        + "\n```";
  }

  /** The classes whose live bytes grew most between two histograms, per added node. */
  static List<String> classGrowth(java.util.Map<String, long[]> before, java.util.Map<String, long[]> after, int nodes, int n) {
    long[] zero = {0, 0};
    return after.entrySet().stream()
        .map(e -> java.util.Map.entry(e.getKey(), new long[] {
            e.getValue()[0] - before.getOrDefault(e.getKey(), zero)[0], e.getValue()[1] - before.getOrDefault(e.getKey(), zero)[1]}))
        .filter(e -> e.getValue()[1] > 0)
        .sorted((x, y) -> Long.compare(y.getValue()[1], x.getValue()[1]))
        .limit(n)
        .map(e -> String.format("%,9.0f B %7.1f objects  %s", e.getValue()[1] / (double) nodes, e.getValue()[0] / (double) nodes, e.getKey()))
        .toList();
  }

  /** A measured submit phase: the loop, then (bounded) the wait until its jobs were all assigned. */
  record Phase(CallLoop.Result run, long placed, double placedSeconds, Histogram assign, double schedulerCores, double driverCores,
      long backlogAtStart) {
    double placedPerSecond() {
      return placedSeconds == 0 ? 0 : placed / placedSeconds;
    }

    String placedNote() {
      return String.format("%,d of %,d accepted jobs assigned to a node %.2f s after the phase began; CPU meanwhile: scheduler %.2f cores, "
          + "this process (clients and nodes) %.2f cores%s", placed, run.ops(), placedSeconds, schedulerCores, driverCores,
          backlogAtStart == 0 ? "" : String.format("; %,d earlier jobs were still unassigned when it began", backlogAtStart));
    }
  }

  interface Loop {
    CallLoop.Result run() throws InterruptedException;
  }

  private static Phase phase(AssignLatency latency, SchedulerCluster scheduler, int drainSeconds, Loop loop) throws Exception {
    long backlog = drain(latency, drainSeconds);
    latency.takeInterval();
    long before = latency.assignedCount();
    double sched0 = scheduler.cpuSeconds();
    double self0 = selfCpuSeconds();
    long t0 = System.nanoTime();
    CallLoop.Result r = loop.run();
    drain(latency, drainSeconds);
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new Phase(r, Math.min(r.ops(), latency.assignedCount() - before - backlog), seconds, latency.takeInterval(),
        (scheduler.cpuSeconds() - sched0) / seconds, (selfCpuSeconds() - self0) / seconds, backlog);
  }

  private static double selfCpuSeconds() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime() / 1e9;
  }

  /**
   * Waits (bounded) until each tenant's member accepts a job: a cluster takes writes only once a
   * majority of its expected members has joined.
   */
  private static void awaitAccepting(List<ManagedChannel> tenants, AssignLatency latency, int seconds) throws Exception {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    for (ManagedChannel ch : tenants) {
      while (true) {
        try {
          SubmitJobResponse r = JobServiceGrpc.newBlockingStub(ch).withDeadlineAfter(5, java.util.concurrent.TimeUnit.SECONDS)
              .submitJob(SubmitJobRequest.newBuilder().setSpec(spec(requestId("ready"))).build());
          latency.submitted(r.getJob().getJobId(), System.nanoTime());
          break;
        } catch (io.grpc.StatusRuntimeException e) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("the scheduler did not accept a job within " + seconds + " s: " + e.getStatus());
          }
          Thread.sleep(500);
        }
      }
    }
  }

  /** Waits (bounded) until every accepted job was assigned; returns how many were not. */
  private static long drain(AssignLatency latency, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (latency.backlog() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(2);
    }
    return latency.backlog();
  }

  private static final AtomicLong REQUESTS = new AtomicLong();

  /** The spec every load job carries: one core, 256 MiB, on demand, runs {@code true} once. */
  public static JobSpec spec(String requestId) {
    return JobSpec.newBuilder()
        .setRequestId(requestId)
        .setName("load")
        .setTier(Tier.TIER_ON_DEMAND)
        .setMinSecurityClass(SecurityClass.SECURITY_CLASS_OPEN)
        .setCores(1)
        .setMemoryMib(256)
        .setWorkload(Workload.newBuilder().addArgv("true"))
        .setMaxAttempts(1)
        .build();
  }

  private static String requestId(String prefix) {
    return String.format("%s-%d-%08d", prefix, ProcessHandle.current().pid(), REQUESTS.incrementAndGet());
  }

  private static CallLoop.Call unary(List<ManagedChannel> tenants, AssignLatency latency, String prefix) {
    List<JobServiceGrpc.JobServiceFutureStub> stubs = tenants.stream().map(JobServiceGrpc::newFutureStub).toList();
    return (i, due) -> {
      ListenableFuture<SubmitJobResponse> f = stubs.get((int) (i % stubs.size()))
          .submitJob(SubmitJobRequest.newBuilder().setSpec(spec(requestId(prefix))).build());
      return Futures.transform(f, r -> {
        latency.submitted(r.getJob().getJobId(), due);
        return 1;
      }, MoreExecutors.directExecutor());
    };
  }

  private static CallLoop.Call batch(List<ManagedChannel> tenants, AssignLatency latency, int size) {
    List<JobServiceGrpc.JobServiceFutureStub> stubs = tenants.stream().map(JobServiceGrpc::newFutureStub).toList();
    return (i, due) -> {
      SubmitJobsRequest.Builder b = SubmitJobsRequest.newBuilder();
      for (int k = 0; k < size; k++) {
        b.addSpecs(spec(requestId("b")));
      }
      return Futures.transform(stubs.get((int) (i % stubs.size())).submitJobs(b.build()), r -> {
        for (SubmitJobResponse one : r.getResultsList()) {
          latency.submitted(one.getJob().getJobId(), due);
        }
        return r.getResultsCount();
      }, MoreExecutors.directExecutor());
    };
  }

  private static String callNote(CallLoop.Result r, int inFlight, int connections) {
    return String.format("%d in flight over %d connections, %,d calls in %.1f s, %d failed%s; call latency %s", inFlight, connections,
        r.calls(), r.elapsedNanos() / 1e9, r.failedCalls(), r.firstError() == null ? "" : " (first: " + r.firstError() + ")",
        LoadReport.percentiles(r.latencyMicros()));
  }

  /** How far above its idle CPU (cores) the scheduler may be for the latency phase to begin. */
  static final double SETTLED_ABOVE_IDLE = 0.2;
  static final int SETTLE_MAX_SECONDS = 60;

  /** How long the scheduler took to settle, and its CPU over the last second waited. */
  record Settled(double seconds, double lastCores, boolean settled) {
    String note(double above) {
      return String.format("begun once the scheduler's CPU over one second was within %.0f %% of a core of its idle figure: "
          + "%.1f %% after %.0f s%s", 100 * above, 100 * lastCores, seconds, settled ? "" : " (not settled: the wait is bounded)");
    }
  }

  /** Waits, at most {@code maxSeconds}, until the scheduler's CPU over one second is at most {@code cores}. */
  static Settled settle(SchedulerCluster s, double cores, int maxSeconds) throws Exception {
    long t0 = System.nanoTime();
    double last;
    do {
      last = idleCpu(s, 1);
      if (last <= cores) {
        return new Settled((System.nanoTime() - t0) / 1e9, last, true);
      }
    } while (System.nanoTime() - t0 < maxSeconds * 1_000_000_000L);
    return new Settled((System.nanoTime() - t0) / 1e9, last, false);
  }

  /** The scheduler's CPU over {@code seconds} with no calls, as a fraction of one core. */
  private static double idleCpu(SchedulerCluster s, int seconds) throws Exception {
    if (seconds == 0) {
      return 0;
    }
    double c0 = s.cpuSeconds();
    long t0 = System.nanoTime();
    Thread.sleep(seconds * 1000L);
    return (s.cpuSeconds() - c0) / ((System.nanoTime() - t0) / 1e9);
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (Exception e) {
      return "unknown";
    }
  }

  private static String memTotal() {
    try {
      return Files.readAllLines(Path.of("/proc/meminfo")).get(0).replaceAll("\\s+", " ");
    } catch (Exception e) {
      return "MemTotal unknown";
    }
  }

  /** Refuses to start when this process may not open {@code needed} files (one per node connection). */
  /** Prints a report and writes it to {@code out} (its folder made if missing). */
  static void writeReport(String md, Path out) throws java.io.IOException {
    System.out.println(md);
    Path parent = out.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(out, md, StandardCharsets.UTF_8);
    System.out.println("written: " + out);
  }

  /** Refuses, naming {@code flag}, a run that would need more open files than the soft limit. */
  static void checkOpenFiles(String flag, int needed) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
        if (line.startsWith("Max open files")) {
          String[] f = line.substring("Max open files".length()).trim().split("\\s+");
          long soft = f[0].equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(f[0]);
          if (soft < needed) {
            throw new IllegalArgumentException(flag + ": needs about " + needed + " open files but the soft limit is " + soft
                + " (raise it first: ulimit -n " + f[1] + ")");
          }
        }
      }
    } catch (java.io.IOException e) {
      // not Linux: no check
    }
  }
}
