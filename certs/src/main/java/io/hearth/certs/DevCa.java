package io.hearth.certs;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A development certificate authority: creates itself, issues the scheduler's server certificate
 * and one client certificate per identity. Identities are URI subject alternative names
 * ({@code hearth://tenant/acme}); a node's certificate also attests its security class
 * ({@code hearth://security-class/SEALED}). Keys are EC P-256 so a simulated fleet of thousands of
 * nodes gets its certificates in seconds. Thread-safe.
 *
 * <p>For development and tests only: production certificates come from the operator's own PKI
 * (cert-manager in the chart), with the same SAN conventions.
 */
public final class DevCa {

  public static final String CA_CERT = "ca.pem";
  public static final String CA_KEY = "ca-key.pem";
  public static final Duration DEFAULT_VALIDITY = Duration.ofDays(365);
  public static final List<String> ROLES = List.of("tenant", "nonprofit", "node", "operator");
  public static final List<String> SECURITY_CLASSES = List.of("OPEN", "SEALED", "CONTROLLED", "CERTIFIED");

  private static final String SIGNATURE = "SHA256withECDSA";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis() << 16);

  private final KeyPair keys;
  private final X509Certificate cert;

  private DevCa(KeyPair keys, X509Certificate cert) {
    this.keys = keys;
    this.cert = cert;
  }

  /** A new self-signed CA. */
  public static DevCa create(String name) {
    KeyPair kp = newKeyPair();
    X500Name subject = new X500Name("CN=" + name + ",O=Hearth development");
    try {
      Instant now = Instant.now();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
          Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(DEFAULT_VALIDITY.multipliedBy(5))),
          subject, kp.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
      return new DevCa(kp, sign(b, kp.getPrivate()));
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot create a CA: " + e.getMessage(), e);
    }
  }

  /** Loads a CA saved by {@link #save(Path)}. */
  public static DevCa load(Path dir) {
    try {
      X509Certificate cert = Pem.readCertificate(Files.readString(dir.resolve(CA_CERT)));
      PrivateKey key = Pem.readPrivateKey(Files.readString(dir.resolve(CA_KEY)));
      return new DevCa(new KeyPair(cert.getPublicKey(), key), cert);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the CA in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Writes {@value #CA_CERT} and {@value #CA_KEY} (owner-readable only) into {@code dir}. */
  public void save(Path dir) {
    Pem.write(dir.resolve(CA_CERT), Pem.encode(cert), false);
    Pem.write(dir.resolve(CA_KEY), Pem.encode(keys.getPrivate()), true);
  }

  public X509Certificate certificate() {
    return cert;
  }

  public String certificatePem() {
    return Pem.encode(cert);
  }

  /** The scheduler's server certificate for these host names and addresses (also usable as a client). */
  public Issued issueServer(String commonName, List<String> dnsNames, List<String> ipAddresses) {
    List<GeneralName> sans = new ArrayList<>();
    for (String d : dnsNames) {
      sans.add(new GeneralName(GeneralName.dNSName, d));
    }
    for (String ip : ipAddresses) {
      sans.add(new GeneralName(GeneralName.iPAddress, ip));
    }
    sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, "hearth://scheduler/" + commonName));
    return issue(commonName, sans, true);
  }

  /**
   * A client certificate for {@code role/id}; nodes also carry their attested security class
   * (required for nodes, refused for other roles).
   */
  public Issued issueClient(String role, String id, String securityClass) {
    if (!ROLES.contains(role)) {
      throw new IllegalArgumentException("role: '" + role + "' (expected: one of " + ROLES + ")");
    }
    if (id == null || id.isEmpty() || id.length() > 128 || !id.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException("id: '" + id + "' (expected: 1..128 of letters, digits, '.', '_', '-')");
    }
    List<GeneralName> sans = new ArrayList<>();
    sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, "hearth://" + role + "/" + id));
    if (role.equals("node")) {
      if (securityClass == null || !SECURITY_CLASSES.contains(securityClass)) {
        throw new IllegalArgumentException("security class: '" + securityClass + "' (expected: one of " + SECURITY_CLASSES + ")");
      }
      sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, "hearth://security-class/" + securityClass));
    } else if (securityClass != null) {
      throw new IllegalArgumentException("security class: only node certificates carry one (role: " + role + ")");
    }
    return issue(role + "-" + id, sans, false);
  }

  private Issued issue(String commonName, List<GeneralName> sans, boolean server) {
    KeyPair kp = newKeyPair();
    try {
      Instant now = Instant.now();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
          new X509CertificateHolder(cert.getEncoded()).getSubject(), serial(),
          Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(DEFAULT_VALIDITY)),
          new X500Name("CN=" + commonName + ",O=Hearth development"), kp.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
      b.addExtension(Extension.extendedKeyUsage, false, server
          ? new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth})
          : new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(new GeneralName[0])));
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(cert));
      return new Issued(sign(b, keys.getPrivate()), kp.getPrivate(), cert);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot issue a certificate for " + commonName + ": " + e.getMessage(), e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws GeneralSecurityException {
    try {
      ContentSigner signer = new JcaContentSignerBuilder(SIGNATURE).build(key);
      return new JcaX509CertificateConverter().getCertificate(b.build(signer));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static BigInteger serial() {
    return BigInteger.valueOf(SERIAL.incrementAndGet()).add(BigInteger.valueOf(RANDOM.nextInt(1 << 16)).shiftLeft(64));
  }

  private static KeyPair newKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 unavailable", e);
    }
  }

  /** A certificate issued by this CA with its private key and the CA certificate, as PEM for TLS stacks. */
  public record Issued(X509Certificate certificate, PrivateKey key, X509Certificate ca) {

    public String certificatePem() {
      return Pem.encode(certificate);
    }

    public String keyPem() {
      return Pem.encode(key);
    }

    public String caPem() {
      return Pem.encode(ca);
    }

    /**
     * Writes {@code name.p12}: the certificate, its key and the CA in a PKCS#12 file protected by
     * {@code password}, the form browsers import (the dashboard is mutual TLS).
     */
    public void saveP12(Path dir, String name, String password) {
      try {
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry(name, key, password.toCharArray(), new java.security.cert.Certificate[] {certificate, ca});
        Files.createDirectories(dir);
        Path file = dir.resolve(name + ".p12");
        try (var out = Files.newOutputStream(file)) {
          ks.store(out, password.toCharArray());
        }
        try {
          Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException ignored) {
          // not a POSIX file system
        }
      } catch (IOException | GeneralSecurityException e) {
        throw new IllegalStateException("cannot write " + name + ".p12: " + e.getMessage(), e);
      }
    }

    /** Writes {@code name.pem} and {@code name-key.pem} (owner-readable) into {@code dir}. */
    public void save(Path dir, String name) {
      Pem.write(dir.resolve(name + ".pem"), certificatePem(), false);
      Pem.write(dir.resolve(name + "-key.pem"), keyPem(), true);
    }
  }

  /** PEM encoding with BouncyCastle's writer; keys as PKCS#8, which every TLS stack reads. */
  static final class Pem {
    private Pem() {}

    static String encode(Object o) {
      StringWriter out = new StringWriter();
      try (JcaPEMWriter w = new JcaPEMWriter(out)) {
        if (o instanceof PrivateKey k) {
          w.writeObject(new org.bouncycastle.util.io.pem.PemObject("PRIVATE KEY", k.getEncoded()));
        } else {
          w.writeObject(o);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return out.toString();
    }

    static X509Certificate readCertificate(String pem) throws IOException {
      try (PEMParser p = new PEMParser(new java.io.StringReader(pem))) {
        Object o = p.readObject();
        if (!(o instanceof X509CertificateHolder h)) {
          throw new IOException("not a PEM certificate");
        }
        return new JcaX509CertificateConverter().getCertificate(h);
      } catch (GeneralSecurityException e) {
        throw new IOException(e);
      }
    }

    static PrivateKey readPrivateKey(String pem) throws IOException {
      try (PEMParser p = new PEMParser(new java.io.StringReader(pem))) {
        Object o = p.readObject();
        JcaPEMKeyConverter c = new JcaPEMKeyConverter();
        if (o instanceof PrivateKeyInfo info) {
          return c.getPrivateKey(info);
        }
        if (o instanceof PEMKeyPair pair) {
          return c.getKeyPair(pair).getPrivate();
        }
        throw new IOException("not a PEM private key");
      }
    }

    static void write(Path file, String pem, boolean secret) {
      try {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, pem);
        if (secret) {
          try {
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
          } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
      }
    }
  }
}
