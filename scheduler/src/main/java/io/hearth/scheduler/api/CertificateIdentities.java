package io.hearth.scheduler.api;

import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * Turns a verified client certificate into an {@link Identity}. The certificate chain must lead to
 * the Hearth CA (PKIX, no revocation source in dev mode); the identity is the certificate's
 * {@code hearth://ROLE/ID} URI subject alternative name, and a node's security class is the CA's
 * attestation {@code hearth://security-class/CLASS}, never what the node says of itself.
 * Stateless and thread-safe.
 */
public final class CertificateIdentities {

  private static final List<String> CLASSES = List.of("OPEN", "SEALED", "CONTROLLED", "CERTIFIED");
  private static final int URI_SAN = 6;

  private final X509Certificate ca;
  private final Set<TrustAnchor> anchors;

  public CertificateIdentities(X509Certificate ca) {
    this.ca = ca;
    this.anchors = Set.of(new TrustAnchor(ca, null));
  }

  public X509Certificate ca() {
    return ca;
  }

  private static final String SESSION_KEY = "hearth.identity";

  /**
   * The identity of a mutual-TLS session's client certificate, verified once per session (cached
   * on the session); HearthException(UNAUTHENTICATED) saying why not.
   */
  public Identity fromSession(javax.net.ssl.SSLSession session) {
    if (session == null) {
      throw HearthException.unauthenticated("no TLS session (expected: mutual TLS)");
    }
    Object cached = session.getValue(SESSION_KEY);
    if (cached instanceof Identity id) {
      return id;
    }
    java.security.cert.Certificate[] peer;
    try {
      peer = session.getPeerCertificates();
    } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
      throw HearthException.unauthenticated("no client certificate (expected: one issued by the Hearth CA)");
    }
    // The chain is parsed from its encoded form into copies that die with this call: the session's
    // own certificates (netty's, with OpenSSL) parse themselves when read and keep the parsed form
    // for the connection's life, 7.6 KB of heap per connected node (benchmarks/connection-floor.md).
    X509Certificate[] chain = new X509Certificate[peer.length];
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      for (int i = 0; i < peer.length; i++) {
        chain[i] = (X509Certificate) cf.generateCertificate(new java.io.ByteArrayInputStream(peer[i].getEncoded()));
      }
    } catch (java.security.cert.CertificateException | ClassCastException e) {
      throw HearthException.unauthenticated("client certificate is not X.509");
    }
    Identity id = verify(chain);
    session.putValue(SESSION_KEY, id);
    return id;
  }

  /** The identity the chain proves, or a HearthException(UNAUTHENTICATED) saying why not. */
  public Identity verify(X509Certificate[] chain) {
    if (chain == null || chain.length == 0) {
      throw HearthException.unauthenticated("no client certificate (expected: one issued by the Hearth CA)");
    }
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      PKIXParameters params = new PKIXParameters(anchors);
      params.setRevocationEnabled(false);
      CertPathValidator.getInstance("PKIX").validate(cf.generateCertPath(List.of(chain)), params);
    } catch (GeneralSecurityException e) {
      throw HearthException.unauthenticated("client certificate not trusted: not issued by the Hearth CA or expired");
    }
    return identityOf(chain[0]);
  }

  static Identity identityOf(X509Certificate cert) {
    Identity.Role role = null;
    String id = null;
    int securityClass = 0;
    Collection<List<?>> sans;
    try {
      sans = cert.getSubjectAlternativeNames();
    } catch (java.security.cert.CertificateParsingException e) {
      throw HearthException.unauthenticated("client certificate has unreadable subject alternative names");
    }
    if (sans != null) {
      for (List<?> san : sans) {
        if (!(san.get(0) instanceof Integer type) || type != URI_SAN) {
          continue;
        }
        URI uri;
        try {
          uri = URI.create((String) san.get(1));
        } catch (IllegalArgumentException e) {
          continue;
        }
        if (!"hearth".equals(uri.getScheme()) || uri.getHost() == null || uri.getPath() == null || uri.getPath().length() < 2) {
          continue;
        }
        String value = uri.getPath().substring(1);
        if (uri.getHost().equals("security-class")) {
          securityClass = CLASSES.indexOf(value) + 1;
          continue;
        }
        for (Identity.Role r : Identity.Role.values()) {
          if (r.word().equals(uri.getHost())) {
            if (role != null) {
              throw HearthException.unauthenticated("client certificate names more than one hearth:// identity");
            }
            role = r;
            id = value;
          }
        }
      }
    }
    if (role == null) {
      throw HearthException.unauthenticated("client certificate has no hearth://ROLE/ID identity");
    }
    if (role == Identity.Role.NODE && securityClass == 0) {
      throw HearthException.unauthenticated("node certificate has no hearth://security-class/CLASS attestation");
    }
    try {
      return new Identity(role, id, role == Identity.Role.NODE ? securityClass : 0);
    } catch (IllegalArgumentException e) {
      throw HearthException.unauthenticated("client certificate identity: " + e.getMessage());
    }
  }
}
