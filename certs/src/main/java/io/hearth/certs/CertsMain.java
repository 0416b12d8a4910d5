package io.hearth.certs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code hearth certs}: creates a development CA and certificates for each role.
 *
 * <pre>
 *   hearth-certs init  --dir DIR [--dns NAMES]   CA, scheduler server cert, tenant/acme, nonprofit/open-renders, operator/ops
 *   hearth-certs issue --dir DIR --role ROLE --id ID [--security-class CLASS]
 * </pre>
 *
 * Files: {@code ca.pem}, {@code ca-key.pem}, {@code scheduler.pem}/{@code scheduler-key.pem},
 * {@code ROLE-ID.pem}/{@code ROLE-ID-key.pem}. Exit code 2 on bad arguments.
 */
public final class CertsMain {

  /** Password of the operator's PKCS#12 file for browsers (development only). */
  public static final String BROWSER_PASSWORD = "hearth";

  private CertsMain() {}

  public static void main(String[] args) {
    try {
      System.out.println(run(args));
    } catch (IllegalArgumentException e) {
      System.err.println("hearth-certs: " + e.getMessage());
      System.err.println(usage());
      System.exit(2);
    }
  }

  static String usage() {
    return """
        usage:
          hearth-certs init  --dir DIR [--dns NAME,NAME...]   (extra DNS names of the scheduler's certificate, e.g. its Kubernetes Services)
          hearth-certs issue --dir DIR --role tenant|nonprofit|node|operator --id ID [--security-class OPEN|SEALED|CONTROLLED|CERTIFIED]""";
  }

  /** Runs one command and returns what it wrote, for the console. */
  public static String run(String[] args) {
    if (args.length == 0) {
      throw new IllegalArgumentException("command missing (expected: init or issue)");
    }
    String dir = null;
    String role = null;
    String id = null;
    String cls = null;
    List<String> dns = List.of();
    for (int i = 1; i < args.length; i++) {
      String flag = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(flag + ": missing value");
      }
      String value = args[++i];
      switch (flag) {
        case "--dir" -> dir = value;
        case "--role" -> role = value;
        case "--id" -> id = value;
        case "--security-class" -> cls = value;
        case "--dns" -> dns = List.of(value.split(",")).stream().map(String::trim).filter(d -> !d.isEmpty()).toList();
        default -> throw new IllegalArgumentException("unknown flag '" + flag + "'");
      }
    }
    if (dir == null) {
      throw new IllegalArgumentException("--dir: missing (expected: the certificate folder)");
    }
    Path out = Path.of(dir);
    switch (args[0]) {
      case "init" -> {
        return init(out, dns);
      }
      case "issue" -> {
        if (role == null || id == null) {
          throw new IllegalArgumentException("--role and --id are required for issue");
        }
        DevCa ca = DevCa.load(out);
        ca.issueClient(role, id, cls).save(out, role + "-" + id);
        return "wrote " + out.resolve(role + "-" + id + ".pem");
      }
      default -> throw new IllegalArgumentException("command: '" + args[0] + "' (expected: init or issue)");
    }
  }

  /** Creates the CA and the default set unless the folder already holds a CA (then it is kept). */
  public static String init(Path out) {
    return init(out, List.of());
  }

  /** As {@link #init(Path)}; the scheduler's certificate also names {@code dnsNames}. */
  public static String init(Path out, List<String> dnsNames) {
    List<String> wrote = new ArrayList<>();
    DevCa ca;
    if (Files.exists(out.resolve(DevCa.CA_CERT)) && Files.exists(out.resolve(DevCa.CA_KEY))) {
      ca = DevCa.load(out);
    } else {
      ca = DevCa.create("Hearth dev CA");
      ca.save(out);
      wrote.add(DevCa.CA_CERT);
    }
    if (!Files.exists(out.resolve("scheduler.pem"))) {
      List<String> names = new ArrayList<>(List.of("localhost"));
      names.addAll(dnsNames);
      ca.issueServer("scheduler", names, List.of("127.0.0.1")).save(out, "scheduler");
      wrote.add("scheduler.pem");
    }
    for (String[] who : new String[][] {{"tenant", "acme"}, {"nonprofit", "open-renders"}, {"operator", "ops"}}) {
      String name = who[0] + "-" + who[1];
      if (!Files.exists(out.resolve(name + ".pem"))) {
        DevCa.Issued issued = ca.issueClient(who[0], who[1], null);
        issued.save(out, name);
        wrote.add(name + ".pem");
        if (who[0].equals("operator")) {
          // For the browser: the dashboard asks for an operator's client certificate.
          issued.saveP12(out, name, BROWSER_PASSWORD);
          wrote.add(name + ".p12");
        }
      }
    }
    return wrote.isEmpty() ? "certificates in " + out + " already exist" : "wrote " + wrote + " in " + out;
  }
}
