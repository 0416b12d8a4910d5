package io.hearth.worker.agent;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.stub.StreamObserver;
import io.hearth.api.v1.NodeMessage;
import io.hearth.api.v1.NodeServiceGrpc;
import io.hearth.api.v1.SchedulerMessage;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.Welcome;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A minimal scheduler for tests: a real gRPC server on 127.0.0.1 with mutual TLS from a test CA,
 * that records every Connect stream (the identity of its client certificate and the messages
 * received), answers each Hello with a Welcome, and lets the test push scheduler messages down a
 * stream. Can be stopped and restarted on the same port.
 */
public final class TestScheduler implements AutoCloseable {
  static final Context.Key<String> IDENTITY = Context.key("identity");

  /** The CA of every test scheduler and agent in this JVM. */
  public static final io.hearth.certs.DevCa CA = io.hearth.certs.DevCa.create("worker test CA");
  private static final io.hearth.certs.DevCa.Issued SERVER =
      CA.issueServer("test-scheduler", List.of("localhost"), List.of("127.0.0.1"));

  /** Client credentials of node {@code nodeId} attested as {@code securityClass} (e.g. "SEALED"). */
  public static io.grpc.ChannelCredentials credentialsFor(String nodeId, String securityClass) {
    io.hearth.certs.DevCa.Issued i = CA.issueClient("node", nodeId, securityClass);
    return Tls.fromPem(i.certificatePem(), i.keyPem(), i.caPem());
  }

  /** Writes a --tls-dir for node {@code nodeId} as hearth-certs would. */
  public static void writeNodeTls(java.nio.file.Path dir, String nodeId, String securityClass) throws IOException {
    java.nio.file.Files.createDirectories(dir);
    java.nio.file.Files.writeString(dir.resolve("ca.pem"), CA.certificatePem());
    CA.issueClient("node", nodeId, securityClass).save(dir, "node-" + nodeId);
  }

  /** One Connect call as the server saw it. */
  public static final class Stream {
    public final String identity;
    public final List<NodeMessage> received = new CopyOnWriteArrayList<>();
    private final StreamObserver<SchedulerMessage> out;
    public volatile boolean ended;

    Stream(String identity, StreamObserver<SchedulerMessage> out) {
      this.identity = identity;
      this.out = out;
    }

    public synchronized void send(SchedulerMessage m) {
      out.onNext(m);
    }

    public String nodeId() {
      return received.isEmpty() || !received.get(0).hasHello() ? null : received.get(0).getHello().getNodeId();
    }
  }

  public final List<Stream> streams = new CopyOnWriteArrayList<>();
  private final Duration telemetryInterval;
  private volatile Server server;
  private int port;

  public TestScheduler(Duration telemetryInterval) {
    this.telemetryInterval = telemetryInterval;
  }

  public TestScheduler start() throws IOException {
    ServerInterceptor captureIdentity = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        String id = null;
        try {
          javax.net.ssl.SSLSession ssl = call.getAttributes().get(io.grpc.Grpc.TRANSPORT_ATTR_SSL_SESSION);
          java.security.cert.X509Certificate peer = (java.security.cert.X509Certificate) ssl.getPeerCertificates()[0];
          for (List<?> san : peer.getSubjectAlternativeNames()) {
            String v = String.valueOf(san.get(1));
            if (v.startsWith("hearth://node/")) {
              id = v.substring("hearth://".length());
            }
          }
        } catch (Exception e) {
          id = "unverified";
        }
        return Contexts.interceptCall(Context.current().withValue(IDENTITY, id), call, headers, next);
      }
    };
    NodeServiceGrpc.NodeServiceImplBase impl = new NodeServiceGrpc.NodeServiceImplBase() {
      @Override
      public StreamObserver<NodeMessage> connect(StreamObserver<SchedulerMessage> out) {
        Stream s = new Stream(IDENTITY.get(), out);
        streams.add(s);
        return new StreamObserver<>() {
          @Override
          public void onNext(NodeMessage m) {
            s.received.add(m);
            if (m.hasHello()) {
              Welcome.Builder w = Welcome.newBuilder()
                  .setEffectiveSecurityClass(SecurityClass.SECURITY_CLASS_SEALED);
              if (telemetryInterval != null) {
                w.setTelemetryInterval(com.google.protobuf.Duration.newBuilder()
                    .setNanos((int) telemetryInterval.toNanos()));
              }
              s.send(SchedulerMessage.newBuilder().setWelcome(w).build());
            }
          }

          @Override
          public void onError(Throwable t) {
            s.ended = true;
          }

          @Override
          public void onCompleted() {
            s.ended = true;
            synchronized (s) {
              out.onCompleted();
            }
          }
        };
      }
    };
    io.grpc.ServerCredentials tls = io.grpc.TlsServerCredentials.newBuilder()
        .keyManager(stream(SERVER.certificatePem()), stream(SERVER.keyPem()))
        .trustManager(stream(CA.certificatePem()))
        .clientAuth(io.grpc.TlsServerCredentials.ClientAuth.REQUIRE)
        .build();
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port), tls)
        .withOption(ChannelOption.SO_REUSEADDR, true)
        .addService(ServerInterceptors.intercept(impl, captureIdentity))
        .build()
        .start();
    port = server.getPort();
    return this;
  }

  private static java.io.InputStream stream(String pem) {
    return new java.io.ByteArrayInputStream(pem.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  public int port() {
    return port;
  }

  public String target() {
    return "127.0.0.1:" + port;
  }

  /** The latest stream of a node, or null. */
  public Stream latest(String nodeId) {
    Stream found = null;
    for (Stream s : streams) {
      if (nodeId.equals(s.nodeId())) {
        found = s;
      }
    }
    return found;
  }

  public void stop() throws InterruptedException {
    Server s = server;
    if (s != null) {
      s.shutdownNow();
      s.awaitTermination(5, TimeUnit.SECONDS);
      server = null;
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
