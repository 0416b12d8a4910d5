package io.hearth.benchmarks.load;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One scheduler member in its own OS process ({@code java -jar hearth-scheduler-all.jar}), with the
 * dev defaults except: every port free and on 127.0.0.1, durable store (the default kind, its folder shared by the members) and
 * audit log in the run's temporary folder, the telemetry interval of the run, and a node timeout of three telemetry
 * intervals (at least the default 15 s) so a loaded machine does not drop nodes. Its open-file
 * soft limit is raised to the hard limit. Killed on {@link #close()}.
 */
final class SchedulerProcess implements AutoCloseable {

  private final Process process;
  private final int grpcPort;
  private final Path log;

  private SchedulerProcess(Process process, int grpcPort, Path log) {
    this.process = process;
    this.grpcPort = grpcPort;
    this.log = log;
  }

  /**
   * Starts {@code members} members (1 = alone), each in its own process, joined into one cluster by
   * their Hazelcast ports, sharing the store folder; returns once each listens for gRPC.
   */
  static List<SchedulerProcess> startCluster(LoadOptions o, Path dir, LoadPki pki) throws Exception {
    Path jar = o.schedulerJar();
    int members = o.members();
    if (!Files.isRegularFile(jar)) {
      throw new IllegalArgumentException("--scheduler-jar: '" + jar + "' not found (build it: mvn -B -o -q -pl scheduler,benchmarks -am package -DskipTests)");
    }
    int[] clusterPorts = new int[members];
    for (int i = 0; i < members; i++) {
      clusterPorts[i] = freePort();
    }
    List<SchedulerProcess> started = new ArrayList<>();
    try {
      for (int i = 0; i < members; i++) {
        List<String> others = new ArrayList<>();
        for (int k = 0; k < members; k++) {
          if (k != i) {
            others.add("127.0.0.1:" + clusterPorts[k]);
          }
        }
        started.add(start(o, dir, pki, i, clusterPorts[i], String.join(",", others)));
      }
      for (SchedulerProcess s : started) {
        s.awaitListening(180);
      }
      return started;
    } catch (Exception | Error e) {
      started.forEach(SchedulerProcess::close);
      throw e;
    }
  }

  /** The collector's flags; Shenandoah is what the scheduler image and chart set. */
  private static List<String> gcFlags(String gc) {
    return switch (gc) {
      case "zgc" -> List.of("-XX:+UseZGC");
      case "g1" -> List.of("-XX:MaxGCPauseMillis=10");
      default -> List.of("-XX:+UseShenandoahGC");
    };
  }

  private static SchedulerProcess start(LoadOptions o, Path dir, LoadPki pki, int index, int clusterPort, String otherMembers)
      throws IOException {
    int grpc = freePort();
    Path log = dir.resolve("scheduler-" + index + ".log");
    // The JVM's arguments follow the script as its own arguments, never through the shell's parsing.
    List<String> cmd = new ArrayList<>(List.of("bash", "-c", "ulimit -n \"$(ulimit -Hn)\"; exec java \"$@\"", "java",
        "-Xmx" + o.schedulerHeapMb() + "m"));
    cmd.addAll(gcFlags(o.schedulerGc()));
    cmd.addAll(o.schedulerJvmOptions());
    cmd.addAll(List.of("-XX:+ExitOnOutOfMemoryError", "-jar", o.schedulerJar().toAbsolutePath().toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("HEARTH_"));
    env.put("HEARTH_GRPC_HOST", "127.0.0.1");
    env.put("HEARTH_GRPC_PORT", Integer.toString(grpc));
    env.put("HEARTH_HTTP_HOST", "127.0.0.1");
    env.put("HEARTH_HTTP_PORT", Integer.toString(freePort()));
    env.put("HEARTH_CLUSTER_HOST", "127.0.0.1");
    env.put("HEARTH_CLUSTER_PORT", Integer.toString(clusterPort));
    env.put("HEARTH_CLUSTER_MEMBERS", otherMembers);
    env.put("HEARTH_CLUSTER_EXPECTED_MEMBERS", Integer.toString(o.members()));
    env.put("HEARTH_CLUSTER_NAME", "hearth-load-" + ProcessHandle.current().pid());
    env.put("HEARTH_STORE_DATA_DIR", dir.resolve("db").toString());
    env.put("HEARTH_AUDIT_FILE", dir.resolve("audit-" + index + ".log").toString());
    env.put("HEARTH_TLS_CERT", pki.serverCert().toString());
    env.put("HEARTH_TLS_KEY", pki.serverKey().toString());
    env.put("HEARTH_TLS_CA", pki.caCert().toString());
    env.put("HEARTH_NODE_TELEMETRY_INTERVAL_MS", Long.toString(o.telemetrySeconds() * 1000L));
    env.put("HEARTH_NODE_TIMEOUT_MS", Long.toString(Math.max(15_000L, 3 * o.telemetrySeconds() * 1000L)));
    if (o.jobRetentionSeconds() >= 0) {
      env.put("HEARTH_JOBS_RETENTION_SECONDS", Long.toString(o.jobRetentionSeconds()));
    }
    return new SchedulerProcess(pb.start(), grpc, log);
  }

  int grpcPort() {
    return grpcPort;
  }

  long pid() {
    return process.pid();
  }

  Path log() {
    return log;
  }

  private void awaitListening(int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the scheduler exited with status " + process.exitValue() + " (log: " + log + ")\n" + tail());
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", grpcPort), 500);
        return;
      } catch (IOException e) {
        Thread.sleep(250);
      }
    }
    throw new IllegalStateException("the scheduler did not listen on 127.0.0.1:" + grpcPort + " within " + seconds + " s (log: " + log + ")");
  }

  /** Heap in use after a full collection, bytes. */
  long heapUsedAfterGc() throws Exception {
    return JvmProbe.heapUsedAfterGc(pid());
  }

  /** Live objects per class: class name -> {instances, bytes}. */
  java.util.Map<String, long[]> classHistogram() throws Exception {
    return JvmProbe.classHistogram(pid());
  }

  /** User + system CPU of the process so far, in seconds ({@code /proc/PID/stat}). */
  double cpuSeconds() throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid()), "stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // Fields 14 and 15 of stat(5), counted from the state field (3) after the command name.
    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
    return ticks / (double) clockTicks();
  }

  private static long clockTicks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
      p.waitFor(5, TimeUnit.SECONDS);
      return Long.parseLong(out);
    } catch (IOException | NumberFormatException e) {
      return 100;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 100;
    }
  }

  String jcmd(String... command) throws Exception {
    return JvmProbe.jcmd(pid(), command);
  }

  String tail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }

  boolean alive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    JvmProbe.stop(process);
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
