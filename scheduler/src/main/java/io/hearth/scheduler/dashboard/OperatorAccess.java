package io.hearth.scheduler.dashboard;

import io.hearth.scheduler.api.HearthException;
import io.hearth.scheduler.api.Identity;
import io.hearth.scheduler.api.IdentityInterceptor;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;

/**
 * Who may do what on the dashboard, in one place so that mutual TLS (issue 4) can replace it:
 * until then an action (POST) names its operator in the {@code x-hearth-identity} header, as gRPC
 * calls do, and read-only views are served to loopback clients only.
 */
final class OperatorAccess {

  /** The operator identity of an action request; UNAUTHENTICATED or PERMISSION_DENIED otherwise. */
  Identity operator(HttpServerRequest request) {
    String raw = request.getHeader(IdentityInterceptor.IDENTITY_HEADER.name());
    if (raw == null || raw.isBlank()) {
      throw HearthException.unauthenticated(
          "no identity: send header x-hearth-identity: operator/<id> (the page sends the operator field)");
    }
    Identity who;
    try {
      who = Identity.parse(raw.trim());
    } catch (IllegalArgumentException e) {
      throw HearthException.unauthenticated(e.getMessage());
    }
    if (who.role() != Identity.Role.OPERATOR) {
      throw HearthException.denied("role " + who.role().word() + " cannot act on the dashboard (expected: operator)");
    }
    return who;
  }

  /** Read-only views: open to loopback clients, refused elsewhere until mutual TLS identifies callers. */
  void checkReader(HttpServerRequest request) {
    SocketAddress remote = request.remoteAddress();
    String host = remote == null ? null : remote.hostAddress();
    if (host == null || !(host.startsWith("127.") || host.equals("0:0:0:0:0:0:0:1") || host.equals("::1"))) {
      throw HearthException.denied("the dashboard's read-only views are served to loopback clients only");
    }
  }
}
