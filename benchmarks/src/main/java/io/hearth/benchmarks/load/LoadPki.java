package io.hearth.benchmarks.load;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.hearth.certs.DevCa;
import io.hearth.scheduler.api.TlsSetup;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The certificates of one load run, from a fresh development CA in a temporary folder: the
 * scheduler's (files, as {@code hearth-certs init} writes them), and client credentials for
 * tenants and nodes (in memory). The echo server uses the scheduler's files through the
 * scheduler's own {@link TlsSetup}, so both measure the same transport security.
 */
final class LoadPki {
  private final DevCa ca;
  private final Path dir;

  LoadPki(Path dir) {
    this.dir = dir;
    this.ca = DevCa.create("hearth-load-ca");
    ca.save(dir);
    ca.issueServer("scheduler", List.of("localhost"), List.of("127.0.0.1")).save(dir, "scheduler");
  }

  Path serverCert() {
    return dir.resolve("scheduler.pem");
  }

  Path serverKey() {
    return dir.resolve("scheduler-key.pem");
  }

  Path caCert() {
    return dir.resolve(DevCa.CA_CERT);
  }

  ServerCredentials serverCredentials() {
    return TlsSetup.serverCredentials(serverCert().toString(), serverKey().toString(),
        TlsSetup.readCertificate(caCert().toString()));
  }

  ChannelCredentials tenant(String id) {
    return credentials(ca.issueClient("tenant", id, null));
  }

  /** A node's credentials; its certificate attests {@code securityClass} (e.g. "SEALED"). */
  ChannelCredentials node(String id, String securityClass) {
    return credentials(ca.issueClient("node", id, securityClass));
  }

  private static ChannelCredentials credentials(DevCa.Issued issued) {
    try {
      return TlsChannelCredentials.newBuilder()
          .keyManager(pem(issued.certificatePem()), pem(issued.keyPem()))
          .trustManager(pem(issued.caPem()))
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ByteArrayInputStream pem(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }
}
