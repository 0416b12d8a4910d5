package io.hearth.system;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.ListJobsRequest;
import io.hearth.api.v1.ListJobsResponse;
import io.hearth.certs.DevCa;
import io.hearth.client.Members;
import io.hearth.client.Retrying;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.OutputFrame;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * Hearth as built images on the local Docker engine: scheduler members and node agents in
 * containers on the host network (every port on 127.0.0.1, distinct per container), certificates
 * from a test CA mounted read-only, the members' journal store in one host folder they share, and each
 * agent's attempt folders in a host folder the test reads (the workers' own records).
 *
 * <p>Docker is required, never optional: without an engine or the base image the constructor fails
 * with what to do ({@code .ci/run} installs and starts both).
 */
final class DockerHearth implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DockerHearth.class);
  static final String BASE_IMAGE = System.getProperty("hearth.base.image",
      System.getenv().getOrDefault("HEARTH_BASE_IMAGE", "hearth-base:bookworm-jre17"));
  static final Duration NODE_TIMEOUT = Duration.ofSeconds(8);
  private static String schedulerImage;
  private static String workerImage;

  final Path dir;
  final Path certs;
  final Path data;
  final Path work;
  final DevCa ca = DevCa.create("Hearth system-test CA");
  final int members;
  final int[] grpcPorts;
  final int[] clusterPorts;
  final int[] httpPorts;
  final Map<String, String> storeEnv;
  final GenericContainer<?>[] schedulers;
  final List<GenericContainer<?>> workers = new ArrayList<>();
  final List<String> workerIds = new ArrayList<>();
  private final Map<String, ManagedChannel> channels = new HashMap<>();

  DockerHearth(int members, Map<String, String> storeEnv) {
    requireDocker();
    this.members = members;
    this.storeEnv = storeEnv;
    try {
      dir = Files.createTempDirectory("hearth-system-");
      certs = Files.createDirectories(dir.resolve("certs"));
      data = Files.createDirectories(dir.resolve("data"));
      work = Files.createDirectories(dir.resolve("work"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ca.save(certs);
    ca.issueServer("scheduler", List.of("localhost"), List.of("127.0.0.1")).save(certs, "scheduler");
    grpcPorts = new int[members];
    clusterPorts = new int[members];
    httpPorts = new int[members];
    for (int i = 0; i < members; i++) {
      grpcPorts[i] = freePort();
      clusterPorts[i] = freePort();
      httpPorts[i] = freePort();
    }
    schedulers = new GenericContainer<?>[members];
    buildImages();
  }

  /** Fails loudly (never skips) when Docker or the base image is missing. */
  static void requireDocker() {
    if (!DockerClientFactory.instance().isDockerAvailable()) {
      throw new IllegalStateException("Docker is required by the system tests and none answers: run `bash .ci/run`"
          + " (or .ci/docker-setup) to install and start it");
    }
    try {
      DockerClientFactory.instance().client().inspectImageCmd(BASE_IMAGE).exec();
    } catch (RuntimeException e) {
      throw new IllegalStateException("base image " + BASE_IMAGE + " is missing: run `bash .ci/docker-setup` to build it"
          + " from Debian packages", e);
    }
  }

  private static synchronized void buildImages() {
    if (schedulerImage == null) {
      long t0 = System.nanoTime();
      // The names the Helm chart deploys by default (the parent POM's hearth.*.image, project version).
      String tag = ":" + System.getProperty("hearth.image.tag");
      schedulerImage = build(System.getProperty("hearth.scheduler.image") + tag, "hearth.scheduler.context",
          "hearth.scheduler.dockerfile", "hearth-scheduler-all.jar");
      workerImage = build(System.getProperty("hearth.worker.image") + tag, "hearth.worker.context",
          "hearth.worker.dockerfile", "hearth-worker-all.jar");
      LOG.info("images built in {} ms from base {}", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), BASE_IMAGE);
    }
  }

  private static String build(String tag, String contextProperty, String dockerfileProperty, String jar) {
    Path context = Path.of(System.getProperty(contextProperty));
    Path dockerfile = Path.of(System.getProperty(dockerfileProperty));
    assertThat(context.resolve(jar)).as("the runnable jar (mvn package builds it)").exists();
    try {
      return new ImageFromDockerfile(tag, false)
          .withFileFromPath("Dockerfile", dockerfile)
          .withFileFromPath(jar, context.resolve(jar))
          .withBuildArg("BASE_IMAGE", BASE_IMAGE)
          .get(10, TimeUnit.MINUTES);
    } catch (Exception e) {
      throw new IllegalStateException("cannot build " + tag + ": " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- schedulers

  /** Starts every member (in parallel) and waits until each serves. */
  void startSchedulers() {
    ExecutorService pool = Executors.newFixedThreadPool(members);
    try {
      List<Future<?>> started = new ArrayList<>();
      for (int i = 0; i < members; i++) {
        int n = i;
        started.add(pool.submit(() -> startScheduler(n)));
      }
      for (Future<?> f : started) {
        f.get(4, TimeUnit.MINUTES);
      }
    } catch (Exception e) {
      throw new IllegalStateException("members did not start: " + e.getMessage(), e);
    } finally {
      pool.shutdownNow();
    }
  }

  void startScheduler(int i) {
    String others = Stream.of(0, 1, 2).limit(members).filter(j -> j != i)
        .map(j -> "127.0.0.1:" + clusterPorts[j]).collect(Collectors.joining(","));
    GenericContainer<?> c = new GenericContainer<>(schedulerImage)
        .withNetworkMode("host")
        .withFileSystemBind(certs.toString(), "/certs", BindMode.READ_ONLY)
        .withFileSystemBind(data.toString(), "/data", BindMode.READ_WRITE)
        .withEnv("JAVA_OPTS", "-Xmx384m -XX:+ExitOnOutOfMemoryError -XX:TieredStopAtLevel=1")
        .withEnv("HEARTH_GRPC_PORT", String.valueOf(grpcPorts[i]))
        .withEnv("HEARTH_HTTP_PORT", String.valueOf(httpPorts[i]))
        .withEnv("HEARTH_CLUSTER_NAME", "hearth-system")
        .withEnv("HEARTH_CLUSTER_PORT", String.valueOf(clusterPorts[i]))
        .withEnv("HEARTH_CLUSTER_MEMBERS", others)
        .withEnv("HEARTH_CLUSTER_EXPECTED_MEMBERS", String.valueOf(members))
        .withEnv("HEARTH_CLUSTER_FAILURE_TIMEOUT_MS", "4000")
        .withEnv("HEARTH_NODE_TIMEOUT_MS", String.valueOf(NODE_TIMEOUT.toMillis()))
        .withEnv("HEARTH_NODE_TELEMETRY_INTERVAL_MS", "1000")
        .withEnv("HEARTH_PLACEMENT_SWEEP_INTERVAL_MS", "500")
        .withEnv("HEARTH_TLS_CERT", "/certs/scheduler.pem")
        .withEnv("HEARTH_TLS_KEY", "/certs/scheduler-key.pem")
        .withEnv("HEARTH_TLS_CA", "/certs/" + DevCa.CA_CERT)
        .withEnv("HEARTH_AUDIT_FILE", "/data/audit-" + i + ".log")
        .withEnv("HEARTH_LIMITS_REQUESTS_PER_SECOND", "100000")
        .withEnv("HEARTH_LIMITS_BURST", "100000")
        .withEnv(storeEnv)
        .waitingFor(Wait.forLogMessage(".*Hearth scheduler up.*", 1).withStartupTimeout(Duration.ofMinutes(3)));
    c.withLogConsumer(toFile("scheduler-" + i));
    schedulers[i] = c;
    c.start();
    LOG.info("scheduler member {} up: gRPC 127.0.0.1:{}, cluster port {}", i, grpcPorts[i], clusterPorts[i]);
  }

  /**
   * Appends a container's output to {@code target/container-logs/NAME.log} (every start of the
   * same member appends to the same file), so a failed run can be read after the containers are gone.
   */
  static java.util.function.Consumer<OutputFrame> toFile(String name) {
    Path file = Path.of(System.getProperty("hearth.container.logs", "target/container-logs")).resolve(name + ".log");
    try {
      Files.createDirectories(file.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return frame -> {
      byte[] bytes = frame.getBytes();
      if (bytes == null) {
        return;
      }
      try {
        Files.write(file, bytes, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
      } catch (IOException e) {
        LOG.warn("cannot write container log {}: {}", file, e.toString());
      }
    };
  }

  /** The member that leads placement now, by its log; -1 when none does. */
  int leader() {
    int found = -1;
    for (int i = 0; i < members; i++) {
      GenericContainer<?> c = schedulers[i];
      if (c == null || !c.isRunning()) {
        continue;
      }
      String logs = c.getLogs();
      int gained = logs.lastIndexOf("this member leads placement now");
      int lost = logs.lastIndexOf("this member no longer leads placement");
      if (gained >= 0 && gained > lost) {
        found = i;
      }
    }
    return found;
  }

  DockerClient docker() {
    return DockerClientFactory.instance().client();
  }

  /** SIGKILL, as a crashed machine would. */
  void kill(GenericContainer<?> c) {
    docker().killContainerCmd(c.getContainerId()).withSignal("KILL").exec();
  }

  /** docker stop: SIGTERM, a graceful shutdown within 30 s. */
  void stopGracefully(GenericContainer<?> c) {
    try {
      docker().stopContainerCmd(c.getContainerId()).withTimeout(30).exec();
    } catch (com.github.dockerjava.api.exception.NotModifiedException alreadyStopped) {
      // Docker answers 304 for a container that is not running (e.g. one a failed test left killed).
      LOG.info("container {} was already stopped", c.getContainerId());
    }
  }

  /** Stops every member gracefully (docker stop), removes them, and starts them again on the same store. */
  void restartSchedulers() {
    for (GenericContainer<?> s : schedulers) {
      stopGracefully(s);
    }
    for (GenericContainer<?> s : schedulers) {
      s.stop();
    }
    startSchedulers();
  }

  String targets() {
    return Stream.of(0, 1, 2).limit(members).map(j -> "127.0.0.1:" + grpcPorts[j]).collect(Collectors.joining(","));
  }

  // ---------------------------------------------------------------- workers

  /** Starts {@code n} node agents (one per container), data-center nodes of 4 cores in {@code region}. */
  void startWorkers(int from, int n, String region) {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> started = new ArrayList<>();
      for (int i = from; i < from + n; i++) {
        String id = "w-" + i;
        ca.issueClient("node", id, "CERTIFIED").save(certs, "node-" + id);
        Path workDir;
        try {
          workDir = Files.createDirectories(work.resolve(id));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        GenericContainer<?> c = new GenericContainer<>(workerImage)
            .withNetworkMode("host")
            .withFileSystemBind(certs.toString(), "/certs", BindMode.READ_ONLY)
            .withFileSystemBind(workDir.toString(), "/work", BindMode.READ_WRITE)
            .withEnv("JAVA_OPTS", "-Xmx64m -Xss512k -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError")
            .withCommand("agent", "--scheduler", targets(), "--node-id", id, "--kind", "datacenter",
                "--security-class", "certified", "--cores", "4", "--memory-mib", "16384", "--region", region,
                "--tls-dir", "/certs", "--work-dir", "/work", "--telemetry-interval-ms", "1000", "--cancel-grace-ms", "1000")
            .waitingFor(Wait.forLogMessage(".*connected as.*", 1).withStartupTimeout(Duration.ofMinutes(3)))
            .withLogConsumer(toFile("worker-" + id));
        workers.add(c);
        workerIds.add(id);
        started.add(pool.submit(c::start));
      }
      for (Future<?> f : started) {
        f.get(5, TimeUnit.MINUTES);
      }
    } catch (Exception e) {
      throw new IllegalStateException("workers did not start: " + e.getMessage(), e);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The workers' own records: for each job, the fencing tokens of the attempts that ran to the end
   * on some worker (each job writes its token to a file in its attempt folder as its last act).
   */
  Map<String, List<Long>> completionsOnWorkers() {
    Map<String, List<Long>> out = new HashMap<>();
    for (String id : workerIds) {
      try (Stream<Path> attempts = Files.list(work.resolve(id))) {
        for (Path a : (Iterable<Path>) attempts::iterator) {
          Path done = a.resolve("done");
          if (!Files.exists(done)) {
            continue;
          }
          String name = a.getFileName().toString();
          String jobId = name.substring(0, name.lastIndexOf('-'));
          String token = Files.readString(done).trim();
          out.computeIfAbsent(jobId, k -> new ArrayList<>()).add(token.isEmpty() ? -1 : Long.parseLong(token));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }

  long completedOnWorkers() {
    long n = 0;
    for (String id : workerIds) {
      try (Stream<Path> attempts = Files.list(work.resolve(id))) {
        n += attempts.filter(a -> Files.exists(a.resolve("done"))).count();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return n;
  }

  // ---------------------------------------------------------------- clients

  /** A channel to any member as {@code role/id}, shared per identity. */
  synchronized ManagedChannel channel(String identity) {
    return channels.computeIfAbsent(identity, who -> {
      String[] parts = who.split("/");
      DevCa.Issued issued = ca.issueClient(parts[0], parts[1], null);
      try {
        return Grpc.newChannelBuilder(Members.target(targets()), TlsChannelCredentials.newBuilder()
                .trustManager(stream(ca.certificatePem()))
                .keyManager(stream(issued.certificatePem()), stream(issued.keyPem())).build())
            .build();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  JobServiceGrpc.JobServiceBlockingStub jobs(String identity) {
    return JobServiceGrpc.newBlockingStub(channel(identity));
  }

  /** Every job the cluster holds, as an operator sees them (ListJobs paging, retried). */
  Map<String, Job> allJobs() {
    JobServiceGrpc.JobServiceBlockingStub ops = jobs("operator/ops");
    Retrying retrying = Retrying.upTo(Duration.ofSeconds(60));
    Map<String, Job> out = new LinkedHashMap<>();
    String token = "";
    do {
      String after = token;
      ListJobsResponse page = retrying.call(() -> ops.withDeadlineAfter(30, TimeUnit.SECONDS)
          .listJobs(ListJobsRequest.newBuilder().setPageSize(1000).setPageToken(after).build()));
      for (Job j : page.getJobsList()) {
        out.put(j.getJobId(), j);
      }
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    return out;
  }

  private static ByteArrayInputStream stream(String pem) {
    return new ByteArrayInputStream(pem.getBytes(StandardCharsets.UTF_8));
  }

  /** Ports this JVM has handed out: each goes to one listener only. */
  private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * A port free now, never handed out before by this JVM, and below the kernel's ephemeral range
   * (32768-60999 here): asking the kernel for port 0 twice once gave one member the same port for
   * gRPC and for Hazelcast, and a port from the ephemeral range can be taken by an outgoing
   * connection before the member that was promised it binds it.
   */
  static int freePort() {
    java.util.Random random = new java.util.Random();
    for (int attempt = 0; attempt < 1_000; attempt++) {
      int port = 20_000 + random.nextInt(12_000);
      if (HANDED_OUT.contains(port)) {
        continue;
      }
      try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
        if (HANDED_OUT.add(port)) {
          return port;
        }
      } catch (IOException busy) {
        // taken: try another
      }
    }
    throw new IllegalStateException("no free port in 20000-31999 after 1,000 attempts");
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    for (GenericContainer<?> w : workers) {
      try {
        w.stop();
      } catch (RuntimeException e) {
        LOG.warn("stopping a worker: {}", e.toString());
      }
    }
    for (GenericContainer<?> s : schedulers) {
      if (s != null) {
        try {
          s.stop();
        } catch (RuntimeException e) {
          LOG.warn("stopping a member: {}", e.toString());
        }
      }
    }
  }
}
