package io.hearth.scheduler.api;

import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Resolves the caller's identity in one place for every Hearth service. Until mutual TLS is the
 * default (the security issue), dev mode takes it from the {@code x-hearth-identity} header
 * ({@code tenant/acme}, {@code nonprofit/x}, {@code node/n1}, {@code operator/ops}). A call without
 * a valid identity ends UNAUTHENTICATED before any service code runs.
 */
public final class IdentityInterceptor implements ServerInterceptor {

  public static final Metadata.Key<String> IDENTITY_HEADER =
      Metadata.Key.of("x-hearth-identity", Metadata.ASCII_STRING_MARSHALLER);

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    String raw = headers.get(IDENTITY_HEADER);
    if (raw == null || raw.isBlank()) {
      call.close(Status.UNAUTHENTICATED.withDescription(
          "no identity: send header x-hearth-identity: role/id (role: tenant, nonprofit, node, operator)"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    Identity identity;
    try {
      identity = Identity.parse(raw.trim());
    } catch (IllegalArgumentException e) {
      call.close(Status.UNAUTHENTICATED.withDescription(e.getMessage()), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(
        io.grpc.Context.current().withValue(Identity.CONTEXT_KEY, identity), call, headers, next);
  }
}
