package io.hearth.benchmarks.load;

import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.hearth.api.v1.SubmitJobRequest;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The ceiling: a bare grpc-java unary echo (no interceptor, no work, the server on a direct
 * executor) over loopback, client and server in this JVM, with the same number of client
 * connections and calls in flight as the scheduler phases. It echoes requests built as the
 * submit phases build theirs (a fresh {@code SubmitJobRequest} per call, (parsed and serialized by protobuf both ways, as any gRPC service
 * does), so both do the same client work and move the same bytes.
 */
final class EchoCeiling {
  static final MethodDescriptor<SubmitJobRequest, SubmitJobRequest> ECHO =
      MethodDescriptor.<SubmitJobRequest, SubmitJobRequest>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName("hearth.load.Echo", "Echo"))
          .setRequestMarshaller(ProtoUtils.marshaller(SubmitJobRequest.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(SubmitJobRequest.getDefaultInstance()))
          .build();

  private EchoCeiling() {}

  static CallLoop.Result plaintext(Supplier<SubmitJobRequest> request, int connections, int inFlight, long maxCalls, double seconds)
      throws Exception {
    return run(InsecureServerCredentials.create(), i -> InsecureChannelCredentials.create(), request, connections,
        inFlight, maxCalls, seconds);
  }

  static CallLoop.Result mtls(LoadPki pki, Supplier<SubmitJobRequest> request, int connections, int inFlight, long maxCalls, double seconds)
      throws Exception {
    return run(pki.serverCredentials(), i -> pki.tenant("echo-" + i), request, connections, inFlight, maxCalls, seconds);
  }

  private static CallLoop.Result run(ServerCredentials serverCreds, Function<Integer, ChannelCredentials> clientCreds,
      Supplier<SubmitJobRequest> request, int connections, int inFlight, long maxCalls, double seconds) throws Exception {
    ServerServiceDefinition service = ServerServiceDefinition.builder("hearth.load.Echo")
        .addMethod(ECHO, ServerCalls.asyncUnaryCall((req, out) -> {
          out.onNext(req);
          out.onCompleted();
        }))
        .build();
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), serverCreds)
        .directExecutor()
        .addService(service)
        .build()
        .start();
    List<ManagedChannel> channels = new ArrayList<>();
    try {
      for (int i = 0; i < connections; i++) {
        channels.add(Channels.open(server.getPort(), clientCreds.apply(i)));
      }
      // Warm-up: a short closed loop so the JIT and the TLS sessions are ready.
      CallLoop.run(inFlight, Math.min(maxCalls, 20_000), Math.min(2, seconds), 0, echo(channels, request));
      return CallLoop.run(inFlight, maxCalls, seconds, 0, echo(channels, request));
    } finally {
      Channels.closeAll(channels);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static CallLoop.Call echo(List<ManagedChannel> channels, Supplier<SubmitJobRequest> request) {
    return (i, due) -> com.google.common.util.concurrent.Futures.transform(
        ClientCalls.futureUnaryCall(channels.get((int) (i % channels.size())).newCall(ECHO, CallOptions.DEFAULT), request.get()),
        r -> 1, com.google.common.util.concurrent.MoreExecutors.directExecutor());
  }
}
