package io.hearth.scheduler.api;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.grpc.Attributes;
import io.grpc.KnownLength;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Makes a request that is not a valid protobuf message an INVALID_ARGUMENT. grpc-java answers a
 * request marshaller that throws with {@code UNKNOWN: Application error processing RPC}, which
 * tells the caller nothing; here every method is re-bound to receive the raw bytes, and they are
 * parsed before the service sees them. The service descriptor is rebuilt with the original name
 * and schema descriptor (reflection reads it), as grpc-java's
 * {@code ServerInterceptors.useMarshalledMessages} does. Thread-safe.
 */
public final class StrictParsing {

  private StrictParsing() {}

  public static ServerServiceDefinition wrap(ServerServiceDefinition service) {
    ServiceDescriptor original = service.getServiceDescriptor();
    List<ServerMethodDefinition<byte[], ?>> methods = new ArrayList<>();
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
        .setSchemaDescriptor(original.getSchemaDescriptor());
    for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
      ServerMethodDefinition<byte[], ?> wrapped = wrapMethod(m);
      methods.add(wrapped);
      descriptor.addMethod(wrapped.getMethodDescriptor());
    }
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(descriptor.build());
    for (ServerMethodDefinition<byte[], ?> m : methods) {
      b.addMethod(m);
    }
    return b.build();
  }

  private static <Q, R> ServerMethodDefinition<byte[], R> wrapMethod(ServerMethodDefinition<Q, R> def) {
    MethodDescriptor<Q, R> md = def.getMethodDescriptor();
    MethodDescriptor<byte[], R> raw = md.toBuilder(RawBytes.INSTANCE, md.getResponseMarshaller()).build();
    ServerCallHandler<Q, R> handler = def.getServerCallHandler();
    Parser<Q> parser = parserOf(md);
    ServerCallHandler<byte[], R> parsing = (ServerCall<byte[], R> rawCall, Metadata headers) -> {
      final ServerCall<byte[], R> call = rawCall;
      final ServerCall.Listener<Q> delegate = handler.startCall(new Typed<Q, R>(call, md), headers);
      return new ServerCall.Listener<byte[]>() {
        private boolean refused;

        @Override
        public void onMessage(byte[] bytes) {
          if (refused) {
            return;
          }
          Q message;
          try {
            message = parser.parse(bytes);
          } catch (RuntimeException | InvalidProtocolBufferException e) {
            refused = true;
            call.close(Status.INVALID_ARGUMENT.withDescription("request: not a valid "
                + md.getBareMethodName() + " message (expected: its protobuf encoding)"), new Metadata());
            return;
          }
          delegate.onMessage(message);
        }

        @Override
        public void onHalfClose() {
          if (!refused) {
            delegate.onHalfClose();
          }
        }

        @Override
        public void onCancel() {
          delegate.onCancel();
        }

        @Override
        public void onComplete() {
          delegate.onComplete();
        }

        @Override
        public void onReady() {
          delegate.onReady();
        }
      };
    };
    return ServerMethodDefinition.create(raw, parsing);
  }

  /** Parses a request from its bytes. */
  private interface Parser<Q> {
    Q parse(byte[] bytes) throws InvalidProtocolBufferException;
  }

  /**
   * Straight from the bytes with the message's own protobuf parser where the marshaller names its
   * prototype (every generated service does): going through an InputStream cost a 4 KiB buffer per
   * message, a tenth of everything the scheduler allocated under load.
   */
  @SuppressWarnings("unchecked")
  private static <Q> Parser<Q> parserOf(MethodDescriptor<Q, ?> md) {
    if (md.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<Q> pm
        && pm.getMessagePrototype() instanceof MessageLite prototype) {
      com.google.protobuf.Parser<? extends MessageLite> parser = prototype.getParserForType();
      return bytes -> (Q) parser.parseFrom(bytes);
    }
    return bytes -> md.parseRequest(new ByteArrayInputStream(bytes));
  }

  /** The call as the service expects it: typed requests, everything else passed through. */
  private static final class Typed<Q, R> extends ServerCall<Q, R> {
    private final ServerCall<byte[], R> call;
    private final MethodDescriptor<Q, R> md;

    Typed(ServerCall<byte[], R> call, MethodDescriptor<Q, R> md) {
      this.call = call;
      this.md = md;
    }

    @Override public void request(int n) { call.request(n); }
    @Override public void sendHeaders(Metadata headers) { call.sendHeaders(headers); }
    @Override public void sendMessage(R message) { call.sendMessage(message); }
    @Override public void close(Status status, Metadata trailers) { call.close(status, trailers); }
    @Override public boolean isCancelled() { return call.isCancelled(); }
    @Override public boolean isReady() { return call.isReady(); }
    @Override public void setMessageCompression(boolean enabled) { call.setMessageCompression(enabled); }
    @Override public void setCompression(String compressor) { call.setCompression(compressor); }
    @Override public SecurityLevel getSecurityLevel() { return call.getSecurityLevel(); }
    @Override public Attributes getAttributes() { return call.getAttributes(); }
    @Override public String getAuthority() { return call.getAuthority(); }
    @Override public MethodDescriptor<Q, R> getMethodDescriptor() { return md; }
  }

  /** Request bytes as they arrived (grpc-java has already bounded their size). */
  private enum RawBytes implements MethodDescriptor.Marshaller<byte[]> {
    INSTANCE;

    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    /**
     * grpc-java's message streams know their length: the bytes are read into an array of exactly
     * that size (readAllBytes first allocates a 16 KiB buffer, then copies).
     */
    @Override
    public byte[] parse(InputStream stream) {
      try {
        if (stream instanceof KnownLength) {
          byte[] bytes = new byte[stream.available()];
          int n = stream.readNBytes(bytes, 0, bytes.length);
          if (n < bytes.length) {
            return Arrays.copyOf(bytes, n);
          }
          int next = stream.read();
          if (next == -1) {
            return bytes;
          }
          // Longer than it said: take all there is.
          ByteArrayOutputStream all = new ByteArrayOutputStream();
          all.write(bytes);
          all.write(next);
          stream.transferTo(all);
          return all.toByteArray();
        }
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
