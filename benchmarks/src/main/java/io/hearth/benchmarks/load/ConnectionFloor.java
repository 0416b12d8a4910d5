package io.hearth.benchmarks.load;

import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCredentials;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.TlsServerCredentials;
import io.grpc.internal.GrpcUtil;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettySslContextServerCredentials;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.OpenSsl;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.hearth.scheduler.api.CertificateIdentities;
import io.hearth.scheduler.api.TlsSetup;
import io.hearth.scheduler.config.SchedulerOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

/**
 * The transport floor of a connected node: the live heap that a bare grpc-java server (the
 * project's grpc version, grpc-netty-shaded, no interceptor, no application state) holds per client
 * connection carrying one open, idle bidirectional stream.
 *
 * <p>How: a child JVM ({@link Server}, {@code java -cp <this classpath>}) serves one generic
 * bidi-streaming method ({@code hearth.load.Floor/Hold}, byte[] messages, no proto) on 127.0.0.1,
 * built like the scheduler's server (same {@code maxInboundMessageSize} and
 * {@code permitKeepAliveTime}; in mTLS mode the credentials of {@link TlsSetup#serverCredentials},
 * with {@link LoadPki}'s certificates). It answers the first message of a stream once (as the
 * scheduler answers a Hello with a Welcome, so the client knows the stream is up) and then only
 * holds the stream. This process opens N client connections (one channel each; in mTLS mode a
 * distinct client certificate each, like {@link LoadNodes}), one stream each, sends one ~200-byte
 * message on each and leaves the streams open. The child's heap is measured after a full GC
 * ({@code jcmd GC.run}, then {@code GC.heap_info} "used") with N/10 and then N connections; the
 * floor is the difference divided by the connections added. The growth by class comes from two
 * {@code GC.class_histogram}s, which also show which SSLEngine class the server uses.
 *
 * <p>Variants: plaintext; mTLS as the scheduler configures it; mTLS with one server-side knob
 * changed each ({@code --provider}: the other TLS provider with the same key material, trust manager
 * and client-auth rule; {@code --flow-window}: HTTP/2 initial flow-control window); and, for
 * attribution only, mTLS plus the scheduler's own certificate check ({@link CertificateIdentities})
 * in an interceptor. Every loop is
 * bounded in count and time; the child is killed at the end, also on failure, and exits by itself
 * when this process is gone. Writes Markdown ({@code --out}).
 */
public final class ConnectionFloor {
  static final String SERVICE = "hearth.load.Floor";
  static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream in) {
      try {
        return in.readAllBytes();
      } catch (IOException e) {
        throw Status.INTERNAL.withDescription("cannot read a message").withCause(e).asRuntimeException();
      }
    }
  };
  static final MethodDescriptor<byte[], byte[]> HOLD = MethodDescriptor.<byte[], byte[]>newBuilder()
      .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
      .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Hold"))
      .setRequestMarshaller(BYTES)
      .setResponseMarshaller(BYTES)
      .build();

  private static final Pattern SSL_CLASS = Pattern.compile(".*(\\.ssl\\.|Ssl|SSL).*");
  private static final int HANDSHAKES_IN_FLIGHT = 64;
  private static final int CHILD_HEAP_MB = 1024;
  /** The child exits by itself after this long, whatever happens to this process. */
  private static final int CHILD_LIFE_SECONDS = 600;
  private static final int MESSAGE_BYTES = 200;

  private ConnectionFloor() {}

  /** Flags of the tool. */
  record Options(int connections, boolean plaintext, boolean mtls, Path out) {
    static final Map<String, String> HELP = new LinkedHashMap<>();

    static {
      HELP.put("--connections", "client connections at the end of each variant, 1..10000 (default 2000); a tenth of them first");
      HELP.put("--mode", "plaintext|mtls|both (default both); mtls includes the two knob variants and the identity-check variant");
      HELP.put("--out", "Markdown report (default benchmarks/connection-floor.md)");
    }

    static Options parse(String... args) {
      Map<String, String> f = new HashMap<>();
      for (int i = 0; i < args.length; i++) {
        if (!HELP.containsKey(args[i])) {
          throw new IllegalArgumentException("unknown flag '" + args[i] + "' (expected one of " + HELP.keySet() + ")");
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(args[i] + ": missing value");
        }
        if (f.put(args[i], args[++i]) != null) {
          throw new IllegalArgumentException(args[i - 1] + ": given twice");
        }
      }
      int n = 2000;
      String c = f.get("--connections");
      if (c != null) {
        try {
          n = Integer.parseInt(c.replace("_", ""));
        } catch (NumberFormatException e) {
          n = -1;
        }
        if (n < 1 || n > 10_000) {
          throw new IllegalArgumentException("--connections: '" + c + "' (expected an integer in 1..10000)");
        }
      }
      String mode = f.getOrDefault("--mode", "both");
      if (!List.of("plaintext", "mtls", "both").contains(mode)) {
        throw new IllegalArgumentException("--mode: '" + mode + "' (expected: plaintext, mtls or both)");
      }
      String out = f.getOrDefault("--out", "benchmarks/connection-floor.md");
      if (out.isBlank()) {
        throw new IllegalArgumentException("--out: empty (expected a file name)");
      }
      return new Options(n, !mode.equals("mtls"), !mode.equals("plaintext"), Path.of(out));
    }
  }

  /** One server configuration: its name, mode, and the child's knob flags. */
  record Variant(String name, boolean tls, List<String> serverFlags, String what) {}

  /** One measured variant. */
  record Result(Variant variant, int warm, int all, long heap0, long heap1, long histo0, long histo1,
      List<String> growth, List<String> sslClasses, List<String> engines, long serverStreams, String serverInfo, String firstError, int endedEarly,
      double connectSeconds) {
    int added() {
      return all - warm;
    }

    double perConnection() {
      return added() <= 0 ? Double.NaN : (heap1 - heap0) / (double) added();
    }

    double perConnectionHisto() {
      return added() <= 0 ? Double.NaN : (histo1 - histo0) / (double) added();
    }
  }

  public static void main(String[] args) throws Exception {
    Options o;
    try {
      o = Options.parse(args);
      LoadMain.checkOpenFiles("--connections", o.connections() + 200);
    } catch (IllegalArgumentException e) {
      System.err.println("connection-floor: " + e.getMessage());
      System.exit(2);
      return;
    }
    int status = 1;
    try {
      LoadMain.writeReport(run(o, String.join(" ", args)), o.out());
      status = 0;
    } catch (Exception | Error e) {
      e.printStackTrace();
    }
    System.exit(status);
  }

  static List<Variant> variants(Options o) {
    List<Variant> v = new ArrayList<>();
    if (o.plaintext()) {
      v.add(new Variant("plaintext", false, List.of(), "no TLS; server built as the scheduler's (maxInboundMessageSize 4 MiB, permitKeepAliveTime 10 s)"));
    }
    if (o.mtls()) {
      v.add(new Variant("mTLS (as the scheduler)", true, List.of(),
          "TlsSetup.serverCredentials as given to the scheduler's NettyServerBuilder (grpc picks the provider)"));
      // The knobs: the provider the default did not pick, with the same key material, trust manager and client-auth rule.
      String other = OpenSsl.isAvailable() ? "jdk" : "openssl";
      v.add(new Variant("mTLS, knob --provider " + other, true, List.of("--provider", other),
          "the same TlsServerCredentials rebuilt as an SslContext with SslProvider." + other.toUpperCase()
              + " (same certificate, key, trust manager object, client auth OPTIONAL)"));
      v.add(new Variant("mTLS, knob --flow-window 65535", true, List.of("--flow-window", "65535"),
          "NettyServerBuilder.flowControlWindow(65535), the HTTP/2 default, instead of grpc's 1 MiB"));
      // Not a knob: what the scheduler's identity check adds on top of the bare transport.
      v.add(new Variant("mTLS + identity check (attribution)", true, List.of("--identity", "true"),
          "as 'mTLS (as the scheduler)', plus an interceptor calling the scheduler's CertificateIdentities.fromSession on each call "
              + "(what IdentityInterceptor does: reads the peer certificate, validates it against the CA, caches the Identity on the session)"));
    }
    return v;
  }

  static String run(Options o, String argLine) throws Exception {
    long started = System.nanoTime();
    Path dir = Files.createTempDirectory("hearth-floor-");
    LoadPki pki = new LoadPki(dir);
    List<ChannelCredentials> nodeCreds = new ArrayList<>();
    StringBuilder md = new StringBuilder("# Connection floor: heap per connection of a bare grpc-java server\n\n");
    md.append("```\n$ ulimit -n 20000; java -cp benchmarks/target/benchmarks.jar io.hearth.benchmarks.load.ConnectionFloor ")
        .append(argLine).append("\n```\n\n");
    md.append("- date: ").append(ZonedDateTime.now()).append('\n');
    md.append("- nproc: ").append(Runtime.getRuntime().availableProcessors()).append('\n');
    md.append("- java: ").append(System.getProperty("java.vm.version")).append(" (").append(System.getProperty("java.vm.name"))
        .append("), server child -Xmx").append(CHILD_HEAP_MB).append("m, default GC\n");
    md.append("- grpc-java ").append(GrpcUtil.IMPLEMENTATION_VERSION).append(", grpc-netty-shaded; OpenSsl.isAvailable() here: ")
        .append(OpenSsl.isAvailable()).append(OpenSsl.isAvailable() ? " (" + OpenSsl.versionString() + ")" : "").append('\n');
    md.append("- load average at start: ").append(loadAverage()).append('\n');
    md.append("- method: per variant a fresh server JVM on 127.0.0.1; N/10 client connections (one channel, one bidi stream "
        + "`hearth.load.Floor/Hold`, one ").append(MESSAGE_BYTES).append("-byte message each, answered once by the server, then idle), "
        + "then heap after GC (`jcmd GC.class_histogram`, `GC.run`, `GC.heap_info` used); then up to N; the same again. "
        + "Per connection = heap difference / connections added. In mTLS every connection has its own client certificate "
        + "(EC P-256, dev CA), at most ").append(HANDSHAKES_IN_FLIGHT).append(" handshakes at a time. Java heap only: "
        + "direct buffers and OpenSSL's native memory are not counted.\n\n");

    List<Result> results = new ArrayList<>();
    for (Variant v : variants(o)) {
      System.out.println("variant: " + v.name() + " ...");
      results.add(measure(v, o.connections(), pki, nodeCreds, dir));
    }

    md.append("| variant | connections (first / all) | heap after GC, first / all | heap per connection | histogram total per connection | SSL engine class at N, instances (per added connection) |\n");
    md.append("|---|---|---|---|---|---|\n");
    for (Result r : results) {
      md.append(String.format("| %s | %,d / %,d | %,.1f / %,.1f MiB | **%,.0f B** | %,.0f B | %s |%n", r.variant().name(), r.warm(), r.all(),
          r.heap0() / 1048576.0, r.heap1() / 1048576.0, r.perConnection(), r.perConnectionHisto(), engine(r)));
    }
    md.append("\nHeap per connection: `GC.heap_info` used, difference / connections added. Histogram total: the same from the sum of "
        + "`GC.class_histogram` bytes.\n");
    for (Result r : results) {
      md.append("\n## ").append(r.variant().name()).append("\n\n");
      md.append("- server: ").append(r.variant().what()).append('\n');
      md.append("- child flags: ").append(r.variant().serverFlags().isEmpty() ? "(none: defaults)" : String.join(" ", r.variant().serverFlags()))
          .append("; child says: ").append(r.serverInfo()).append('\n');
      md.append(String.format("- connected %,d then %,d in %.1f s; streams ended before the measurement: %d; server streams live at N "
          + "(NettyServerStream instances): %,d%s%n", r.warm(), r.all(), r.connectSeconds(), r.endedEarly(), r.serverStreams(),
          r.firstError() == null ? "" : "; first error: " + r.firstError()));
      md.append("- SSL classes at N, instances (added per connection): ").append(r.sslClasses().isEmpty() ? "none" : String.join(", ", r.sslClasses())).append('\n');
      md.append("\nLive heap added per connection, top 30 classes (").append(r.warm()).append(" then ").append(r.all())
          .append(" connections):\n\n```\n").append(String.join("\n", r.growth())).append("\n```\n");
    }
    md.append(String.format("%nload average at end: %s; run time %.0f s%n", loadAverage(), (System.nanoTime() - started) / 1e9));
    return md.toString();
  }

  private static String engine(Result r) {
    List<String> e = r.engines();
    return e.isEmpty() ? (r.variant().tls() ? "none found" : "none (plaintext)") : String.join(", ", e);
  }

  private static ChannelCredentials creds(Variant v, LoadPki pki, List<ChannelCredentials> cache, int i) {
    if (!v.tls()) {
      return InsecureChannelCredentials.create();
    }
    while (cache.size() <= i) {
      cache.add(pki.node(String.format("floor-%05d", cache.size()), "CERTIFIED"));
    }
    return cache.get(i);
  }

  static Result measure(Variant v, int n, LoadPki pki, List<ChannelCredentials> credCache, Path dir) throws Exception {
    int warmCount = Math.max(1, n / 10);
    long start = System.nanoTime();
    try (Child child = Child.start(v, pki, dir); Clients clients = new Clients()) {
      progress(start, "server pid " + child.process.pid() + " on port " + child.port);
      int warm = clients.connect(child.port, i -> creds(v, pki, credCache, i), 0, warmCount, 30 + warmCount / 20.0);
      progress(start, warm + " connections answered");
      Thread.sleep(1000);
      Map<String, long[]> h0 = child.classHistogram();
      long heap0 = child.heapUsedAfterGc();
      progress(start, String.format("heap after GC %,d B", heap0));
      long t0 = System.nanoTime();
      int all = clients.connect(child.port, i -> creds(v, pki, credCache, i), warmCount, n, 30 + (n - warmCount) / 20.0);
      double connectSeconds = (System.nanoTime() - t0) / 1e9;
      progress(start, all + " connections answered");
      Thread.sleep(1000);
      int ended = clients.ended.get();
      Map<String, long[]> h1 = child.classHistogram();
      long heap1 = child.heapUsedAfterGc();
      progress(start, String.format("heap after GC %,d B", heap1));
      int added = Math.max(1, all - warm);
      List<String> ssl = sslGrowth(h0, h1, added, false);
      List<String> engines = sslGrowth(h0, h1, added, true);
      long streams = h1.getOrDefault("io.grpc.netty.shaded.io.grpc.netty.NettyServerStream", new long[] {0, 0})[0];
      return new Result(v, warm, all, heap0, heap1, total(h0), total(h1), LoadMain.classGrowth(h0, h1, added, 30),
          ssl, engines, streams, child.info(), clients.firstError.get(), ended, connectSeconds);
    }
  }

  /**
   * TLS classes (package {@code .ssl.} or a name with Ssl/SSL) that grew by at least half an instance
   * per added connection, as "class instances-at-N (added per connection)"; engines only: names ending in Engine or EngineImpl.
   */
  private static List<String> sslGrowth(Map<String, long[]> h0, Map<String, long[]> h1, int added, boolean enginesOnly) {
    long[] zero = {0, 0};
    return h1.entrySet().stream()
        .filter(e -> SSL_CLASS.matcher(e.getKey()).matches())
        .filter(e -> !enginesOnly || e.getKey().endsWith("Engine") || e.getKey().endsWith("EngineImpl"))
        .filter(e -> e.getValue()[0] - h0.getOrDefault(e.getKey(), zero)[0] >= 0.5 * added)
        .sorted((x, y) -> Long.compare(y.getValue()[0], x.getValue()[0]))
        .limit(enginesOnly ? 5 : 16)
        .map(e -> String.format("%s %,d (%.1f)", e.getKey(), e.getValue()[0], (e.getValue()[0] - h0.getOrDefault(e.getKey(), zero)[0]) / (double) added))
        .toList();
  }

  private static void progress(long start, String what) {
    System.out.printf("  %6.1f s  %s%n", (System.nanoTime() - start) / 1e9, what);
  }

  private static long total(Map<String, long[]> histogram) {
    return histogram.values().stream().mapToLong(x -> x[1]).sum();
  }

  /** The client side: N channels, one held stream each. */
  static final class Clients implements AutoCloseable {
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final AtomicInteger replied = new AtomicInteger();
    private final AtomicInteger ended = new AtomicInteger();
    private final AtomicReference<String> firstError = new AtomicReference<>();

    /**
     * Opens connections {@code from..to-1}, at most {@link #HANDSHAKES_IN_FLIGHT} unanswered at a
     * time, and waits (at most {@code seconds} in all) for their answers. Returns the answered count so far.
     */
    int connect(int port, java.util.function.IntFunction<ChannelCredentials> creds, int from, int to, double seconds)
        throws InterruptedException {
      Semaphore inFlight = new Semaphore(HANDSHAKES_IN_FLIGHT);
      long deadline = System.nanoTime() + (long) (seconds * 1e9);
      for (int i = from; i < to; i++) {
        if (!inFlight.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          firstError.compareAndSet(null, "connection " + i + ": not answered within " + seconds + " s");
          break;
        }
        ManagedChannel ch = Channels.open(port, creds.apply(i));
        channels.add(ch);
        Holder h = new Holder(inFlight);
        StreamObserver<byte[]> requests = ClientCalls.asyncBidiStreamingCall(ch.newCall(HOLD, CallOptions.DEFAULT), h);
        requests.onNext(message(i));
      }
      inFlight.tryAcquire(HANDSHAKES_IN_FLIGHT, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      return replied.get();
    }

    private static byte[] message(int i) {
      byte[] m = new byte[MESSAGE_BYTES];
      Arrays.fill(m, (byte) 'x');
      byte[] id = String.format("hello from floor-%05d ", i).getBytes(StandardCharsets.US_ASCII);
      System.arraycopy(id, 0, m, 0, id.length);
      return m;
    }

    /** One stream's response side: counts the answer, releases its handshake slot once. */
    private final class Holder implements StreamObserver<byte[]> {
      private final Semaphore slot;
      private boolean released;

      Holder(Semaphore slot) {
        this.slot = slot;
      }

      @Override
      public void onNext(byte[] value) {
        release(true);
      }

      @Override
      public void onError(Throwable t) {
        ended.incrementAndGet();
        firstError.compareAndSet(null, t.toString());
        release(false);
      }

      @Override
      public void onCompleted() {
        ended.incrementAndGet();
        release(false);
      }

      /** Counts the answer (before the slot is released, so the waiter sees it) and frees the slot, once. */
      private synchronized void release(boolean answered) {
        if (released) {
          return;
        }
        released = true;
        if (answered) {
          replied.incrementAndGet();
        }
        slot.release();
      }
    }

    @Override
    public void close() throws InterruptedException {
      for (ManagedChannel c : channels) {
        c.shutdownNow();
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      for (ManagedChannel c : channels) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        c.awaitTermination(left, TimeUnit.NANOSECONDS);
      }
    }
  }

  /** The server JVM of one variant; killed on {@link #close()}. */
  static final class Child implements AutoCloseable {
    private final Process process;
    private final Path log;
    private final Thread killer;
    private int port;
    private String info = "";

    private Child(Process process, Path log) {
      this.process = process;
      this.log = log;
      this.killer = new Thread(process::destroyForcibly, "connection-floor-kill-child");
      Runtime.getRuntime().addShutdownHook(killer);
    }

    static Child start(Variant v, LoadPki pki, Path dir) throws Exception {
      Path log = dir.resolve("server-" + System.nanoTime() + ".log");
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<String> cmd = new ArrayList<>(List.of("bash", "-c",
          "ulimit -n \"$(ulimit -Hn)\"; exec \"$0\" -Xmx" + CHILD_HEAP_MB + "m -XX:+ExitOnOutOfMemoryError -cp \"$@\"",
          java, System.getProperty("java.class.path"), Server.class.getName(),
          "--tls", v.tls() ? "mtls" : "plaintext",
          "--cert", pki.serverCert().toString(), "--key", pki.serverKey().toString(), "--ca", pki.caCert().toString()));
      cmd.addAll(v.serverFlags());
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      Child c = new Child(p, log);
      try {
        c.awaitPort(60);
        return c;
      } catch (Exception | Error e) {
        c.close();
        throw e;
      }
    }

    private void awaitPort(int seconds) throws Exception {
      long deadline = System.nanoTime() + seconds * 1_000_000_000L;
      while (System.nanoTime() < deadline) {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        for (String l : lines) {
          if (l.startsWith("PORT ")) {
            port = Integer.parseInt(l.substring(5).trim());
          } else if (l.startsWith("INFO ")) {
            info = l.substring(5).trim();
          }
        }
        if (port > 0) {
          return;
        }
        if (!process.isAlive()) {
          throw new IllegalStateException("the server exited with status " + process.exitValue() + ":\n" + String.join("\n", lines));
        }
        Thread.sleep(100);
      }
      throw new IllegalStateException("the server printed no port within " + seconds + " s (log: " + log + ")");
    }

    String info() {
      return info;
    }

    long heapUsedAfterGc() throws Exception {
      return JvmProbe.heapUsedAfterGc(process.pid());
    }

    Map<String, long[]> classHistogram() throws Exception {
      return JvmProbe.classHistogram(process.pid());
    }

    @Override
    public void close() {
      JvmProbe.stop(process);
      try {
        Runtime.getRuntime().removeShutdownHook(killer);
      } catch (IllegalStateException ignored) {
        // already shutting down: the hook kills it again, harmlessly
      }
    }
  }

  /**
   * The child: a bare grpc server on 127.0.0.1 with {@code hearth.load.Floor/Hold}. Flags:
   * {@code --tls plaintext|mtls --cert F --key F --ca F [--provider scheduler|jdk|openssl]
   * [--flow-window BYTES] [--identity true|false]}; the defaults are what the scheduler does, except
   * {@code --identity} (default false: no interceptor; true: the scheduler's certificate check on each call). Prints {@code INFO ...} and
   * {@code PORT n}; exits when its parent exits or after {@link #CHILD_LIFE_SECONDS}.
   */
  public static final class Server {
    private Server() {}

    public static void main(String[] args) throws Exception {
      Map<String, String> f = new HashMap<>();
      for (int i = 0; i + 1 < args.length; i += 2) {
        f.put(args[i], args[i + 1]);
      }
      ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(3)));
      String provider = f.getOrDefault("--provider", "scheduler");
      int window = Integer.parseInt(f.getOrDefault("--flow-window", "0"));
      ServerCredentials creds;
      if (f.getOrDefault("--tls", "mtls").equals("plaintext")) {
        creds = InsecureServerCredentials.create();
      } else {
        ServerCredentials scheduler = TlsSetup.serverCredentials(f.get("--cert"), f.get("--key"), TlsSetup.readCertificate(f.get("--ca")));
        creds = switch (provider) {
          case "scheduler" -> scheduler;
          case "jdk" -> withProvider((TlsServerCredentials) scheduler, SslProvider.JDK);
          case "openssl" -> withProvider((TlsServerCredentials) scheduler, SslProvider.OPENSSL);
          default -> throw new IllegalArgumentException("--provider: '" + provider + "' (expected scheduler, jdk or openssl)");
        };
      }
      ServerServiceDefinition service = ServerServiceDefinition.builder(SERVICE)
          .addMethod(HOLD, ServerCalls.asyncBidiStreamingCall(responses -> new StreamObserver<byte[]>() {
            private boolean answered;

            @Override
            public void onNext(byte[] value) {
              if (!answered) {
                answered = true;
                responses.onNext(value);
              }
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {
              responses.onCompleted();
            }
          }))
          .build();
      // As HearthScheduler builds its server, minus interceptors and services.
      NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), creds)
          .maxInboundMessageSize(SchedulerOptions.DEFAULT_MAX_INBOUND_MESSAGE_BYTES)
          .permitKeepAliveTime(10, TimeUnit.SECONDS);
      if (window > 0) {
        b.flowControlWindow(window);
      }
      if (f.getOrDefault("--identity", "false").equals("true")) {
        CertificateIdentities identities = new CertificateIdentities(TlsSetup.readCertificate(f.get("--ca")));
        b.addService(ServerInterceptors.intercept(service, new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            identities.fromSession(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
            return next.startCall(call, headers);
          }
        }));
      } else {
        b.addService(service);
      }
      io.grpc.Server server = b.build().start();
      System.out.println("INFO provider " + provider + ", OpenSsl.isAvailable " + OpenSsl.isAvailable()
          + (OpenSsl.isAvailable() ? " (" + OpenSsl.versionString() + ")" : " (" + OpenSsl.unavailabilityCause() + ")")
          + ", flowControlWindow " + (window > 0 ? window : "grpc default") + ", identity check " + f.getOrDefault("--identity", "false"));
      System.out.println("PORT " + server.getPort());
      System.out.flush();
      server.awaitTermination(CHILD_LIFE_SECONDS, TimeUnit.SECONDS);
      Runtime.getRuntime().halt(0);
    }

    /** The scheduler's credentials as an SslContext of the given provider: same key material, trust manager and client-auth rule. */
    static ServerCredentials withProvider(TlsServerCredentials t, SslProvider provider) throws IOException {
      if (t.getTrustManagers() == null || t.getTrustManagers().size() != 1 || t.getPrivateKey() == null
          || t.getClientAuth() != TlsServerCredentials.ClientAuth.OPTIONAL) {
        throw new IllegalStateException("TlsSetup's credentials changed shape; update ConnectionFloor.Server.withProvider");
      }
      SslContextBuilder b = GrpcSslContexts.configure(SslContextBuilder.forServer(new ByteArrayInputStream(t.getCertificateChain()),
          new ByteArrayInputStream(t.getPrivateKey()), t.getPrivateKeyPassword()), provider);
      b.trustManager(t.getTrustManagers().get(0));
      b.clientAuth(ClientAuth.OPTIONAL);
      return NettySslContextServerCredentials.create(b.build());
    }
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
