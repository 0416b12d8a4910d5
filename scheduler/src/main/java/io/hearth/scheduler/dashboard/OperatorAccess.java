package io.hearth.scheduler.dashboard;

import io.hearth.scheduler.api.CertificateIdentities;
import io.hearth.scheduler.api.HearthException;
import io.hearth.scheduler.api.Identity;
import io.vertx.core.http.HttpServerRequest;
import javax.net.ssl.SSLSession;

/**
 * Who may use the dashboard: it is served over mutual TLS like the gRPC API, and every view and
 * action needs an operator's client certificate issued by the Hearth CA (Prometheus scrapes
 * {@code /metrics} with one too). No certificate: 401; another role: 403.
 */
final class OperatorAccess {

  private final CertificateIdentities identities;

  OperatorAccess(CertificateIdentities identities) {
    this.identities = identities;
  }

  /** The operator behind the request's TLS connection; UNAUTHENTICATED or PERMISSION_DENIED otherwise. */
  Identity operator(HttpServerRequest request) {
    SSLSession session = request.connection() == null ? null : request.connection().sslSession();
    Identity who = identities.fromSession(session);
    if (who.role() != Identity.Role.OPERATOR) {
      throw HearthException.denied("role " + who.role().word() + " cannot use the dashboard (expected: operator)");
    }
    return who;
  }
}
