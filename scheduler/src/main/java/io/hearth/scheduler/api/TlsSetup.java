package io.hearth.scheduler.api;

import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The server side of mutual TLS. The handshake asks for a client certificate and proves the client
 * holds its key, but accepts any chain: {@link IdentityInterceptor} then validates it against the
 * Hearth CA, so a missing or foreign certificate is answered UNAUTHENTICATED with a reason instead
 * of a dropped connection. No call reaches a service without that check.
 */
public final class TlsSetup {

  private TlsSetup() {}

  public static X509Certificate readCertificate(String file) {
    try (InputStream in = Files.newInputStream(Path.of(file))) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    } catch (IOException e) {
      throw new UncheckedIOException("tls.ca: '" + file + "' cannot be read (" + e.getMessage() + ")", e);
    } catch (CertificateException e) {
      throw new IllegalArgumentException("tls.ca: '" + file + "' is not a PEM certificate", e);
    }
  }

  public static ServerCredentials serverCredentials(String certChain, String key, X509Certificate clientCa) {
    try {
      return TlsServerCredentials.newBuilder()
          .keyManager(Path.of(certChain).toFile(), Path.of(key).toFile())
          .trustManager(new DeferToInterceptor(clientCa))
          .clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL)
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("tls.cert/tls.key: cannot be read (" + e.getMessage() + ")", e);
    }
  }

  /** Advertises the Hearth CA to clients and leaves the verdict to the interceptor. */
  private static final class DeferToInterceptor extends X509ExtendedTrustManager {
    private final X509Certificate[] issuers;

    DeferToInterceptor(X509Certificate ca) {
      this.issuers = new X509Certificate[] {ca};
    }

    @Override public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}
    @Override public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}
    @Override public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      throw new CertificateException("a server does not verify servers");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      throw new CertificateException("a server does not verify servers");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("a server does not verify servers");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return issuers.clone();
    }
  }
}
