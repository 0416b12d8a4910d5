package io.hearth.client;

import io.grpc.ChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Mutual TLS from a folder of PEM files as {@code hearth-certs} writes it: {@code ca.pem} (the CA
 * to trust), and per identity {@code ROLE-ID.pem} (certificate) with {@code ROLE-ID-key.pem}
 * (PKCS#8 key), e.g. {@code tenant-acme.pem}. The caller is whoever its certificate names.
 */
public final class TlsFolder {

  public static final String CA = "ca.pem";

  private TlsFolder() {}

  /** Credentials of identity {@code name} (e.g. {@code tenant-acme}); the error names the missing file. */
  public static ChannelCredentials credentials(Path dir, String name) {
    String cert = read(dir.resolve(name + ".pem"));
    String key = read(dir.resolve(name + "-key.pem"));
    String ca = read(dir.resolve(CA));
    try {
      return TlsChannelCredentials.newBuilder()
          .keyManager(stream(cert), stream(key))
          .trustManager(stream(ca))
          .build();
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("tls-dir: '" + dir + "' holds no usable " + name + " certificate and key: " + e.getMessage(), e);
    }
  }

  /**
   * The identities in {@code dir} whose role is {@code role} (files {@code role-*.pem} with their
   * key), sorted by name; e.g. {@code [tenant-acme]}.
   */
  public static List<String> identities(Path dir, String role) {
    List<String> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> files = Files.list(dir)) {
      files.map(p -> p.getFileName().toString())
          .filter(f -> f.startsWith(role + "-") && f.endsWith(".pem") && !f.endsWith("-key.pem"))
          .map(f -> f.substring(0, f.length() - ".pem".length()))
          .filter(n -> Files.exists(dir.resolve(n + "-key.pem")))
          .sorted()
          .forEach(out::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("tls-dir: '" + file + "' cannot be read (expected: a PEM file from hearth-certs)", e);
    }
  }

  private static ByteArrayInputStream stream(String pem) {
    return new ByteArrayInputStream(pem.getBytes(StandardCharsets.UTF_8));
  }
}
