package io.hearth.worker.agent;

import io.grpc.ChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Client-side mutual TLS credentials: the node's certificate and key, and the CA it trusts. */
public final class Tls {

  private Tls() {}

  /** From PEM text (certificate chain, PKCS#8 key, CA certificate). */
  public static ChannelCredentials fromPem(String certificate, String key, String ca) {
    try {
      return TlsChannelCredentials.newBuilder()
          .keyManager(stream(certificate), stream(key))
          .trustManager(stream(ca))
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("TLS material cannot be read: " + e.getMessage(), e);
    }
  }

  /**
   * From a certificate folder as {@code hearth-certs} writes it: {@code ca.pem},
   * {@code NAME.pem} and {@code NAME-key.pem}. The error names the missing file.
   */
  public static ChannelCredentials fromDirectory(Path dir, String name) {
    return fromPem(read(dir.resolve(name + ".pem")), read(dir.resolve(name + "-key.pem")), read(dir.resolve("ca.pem")));
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("--tls-dir: '" + file + "' cannot be read (expected: a PEM file from hearth-certs)");
    }
  }

  private static ByteArrayInputStream stream(String pem) {
    return new ByteArrayInputStream(pem.getBytes(StandardCharsets.UTF_8));
  }
}
