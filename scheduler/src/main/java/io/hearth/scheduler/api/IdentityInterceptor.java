package io.hearth.scheduler.api;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLSession;

/**
 * Resolves the caller's identity in one place for every Hearth service, from the client
 * certificate of the mutual-TLS connection, and applies the per-identity limits (request rate,
 * open streams). A call without a trusted certificate ends UNAUTHENTICATED before any service code
 * runs; over a limit, RESOURCE_EXHAUSTED. The verified identity is cached on the TLS session, so
 * the certificate path is validated once per connection, not per call.
 */
public final class IdentityInterceptor implements ServerInterceptor {

  private final CertificateIdentities identities;
  private final CallLimits limits;

  public IdentityInterceptor(CertificateIdentities identities, CallLimits limits) {
    this.identities = identities;
    this.limits = limits;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    Identity identity;
    try {
      identity = identify(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    } catch (HearthException e) {
      call.close(Status.UNAUTHENTICATED.withDescription(e.getMessage()), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    if (!limits.tryAcquireRequest(identity)) {
      call.close(Status.RESOURCE_EXHAUSTED.withDescription("request rate of " + identity + " over "
          + limits.requestsPerSecond() + "/s (burst " + limits.burst() + ")"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    ServerCall.Listener<ReqT> listener;
    if (call.getMethodDescriptor().getType() == MethodDescriptor.MethodType.UNARY) {
      return Contexts.interceptCall(Context.current().withValue(Identity.CONTEXT_KEY, identity), call, headers, next);
    }
    if (!limits.tryOpenStream(identity)) {
      call.close(Status.RESOURCE_EXHAUSTED.withDescription("open streams of " + identity + " over "
          + limits.maxStreams()), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    AtomicBoolean released = new AtomicBoolean();
    Runnable release = () -> {
      if (released.compareAndSet(false, true)) {
        limits.closeStream(identity);
      }
    };
    try {
      listener = Contexts.interceptCall(Context.current().withValue(Identity.CONTEXT_KEY, identity), call, headers, next);
    } catch (RuntimeException e) {
      release.run();
      throw e;
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onComplete() {
        release.run();
        super.onComplete();
      }

      @Override
      public void onCancel() {
        release.run();
        super.onCancel();
      }
    };
  }

  private Identity identify(SSLSession session) {
    return identities.fromSession(session);
  }

}
