package io.hearth.cli;

import io.hearth.client.HearthClient;
import io.hearth.client.TlsFolder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Where the scheduler is and who the caller is: flags, else environment variables, else dev
 * mode's defaults (its gRPC port 7070 on loopback and the certificates it writes under
 * {@code hearth-data/certs} of the folder it was started in).
 */
final class Connection {

  static final String DEFAULT_SCHEDULER = "127.0.0.1:7070";
  static final String DEFAULT_TLS_DIR = "hearth-data/certs";

  @Option(names = "--scheduler", paramLabel = "HOST:PORT[,HOST:PORT...]",
      description = "Scheduler members (env HEARTH_SCHEDULER; default " + DEFAULT_SCHEDULER + ", dev mode).")
  String scheduler;

  @Option(names = "--tls-dir", paramLabel = "DIR",
      description = "Folder of PEM files as hearth-certs writes them (env HEARTH_TLS_DIR; default " + DEFAULT_TLS_DIR + ", dev mode's).")
  Path tlsDir;

  @Option(names = "--as", paramLabel = "NAME",
      description = "Identity: the certificate NAME.pem in the TLS folder, e.g. tenant-acme (env HEARTH_AS; "
          + "default: the first of the folder's certificates whose role fits the command).")
  String identity;

  @Option(names = "--deadline", paramLabel = "DURATION", defaultValue = "30s", converter = JobFile.DurationConverter.class,
      description = "Deadline of each call, e.g. 10s (default ${DEFAULT-VALUE}).")
  Duration deadline;

  @Option(names = "--retry-for", paramLabel = "DURATION", defaultValue = "20s", converter = JobFile.DurationConverter.class,
      description = "How long to retry while the scheduler is unavailable, with the same request (default ${DEFAULT-VALUE}).")
  Duration retryFor;

  /** A client as the identity chosen for a command whose caller may have one of {@code roles}. */
  HearthClient client(Hearth hearth, List<String> roles) {
    String members = first(scheduler, hearth.env.get("HEARTH_SCHEDULER"), DEFAULT_SCHEDULER);
    Path dir = tlsDir(hearth);
    if (!Files.exists(dir.resolve(TlsFolder.CA))) {
      throw new IllegalArgumentException("--tls-dir: '" + dir + "' has no " + TlsFolder.CA
          + " (expected: a folder from 'hearth certs init' or dev mode's hearth-data/certs; set HEARTH_TLS_DIR or --tls-dir)");
    }
    String name = first(identity, hearth.env.get("HEARTH_AS"), null);
    if (name == null) {
      for (String role : roles) {
        List<String> found = TlsFolder.identities(dir, role);
        if (!found.isEmpty()) {
          name = found.get(0);
          break;
        }
      }
    }
    if (name == null) {
      throw new IllegalArgumentException("--as: no certificate of role " + String.join(" or ", roles) + " in '" + dir
          + "' (expected: a ROLE-ID.pem, e.g. from 'hearth certs issue --role " + roles.get(0) + " --id ID')");
    }
    return HearthClient.builder()
        .scheduler(members)
        .tlsDir(dir, name)
        .callTimeout(deadline)
        .retryFor(retryFor)
        .build();
  }

  Path tlsDir(Hearth hearth) {
    return tlsDir != null ? tlsDir : Path.of(first(null, hearth.env.get("HEARTH_TLS_DIR"), DEFAULT_TLS_DIR));
  }

  private static String first(String flag, String env, String def) {
    if (flag != null && !flag.isBlank()) {
      return flag;
    }
    return env != null && !env.isBlank() ? env : def;
  }

  /** Roles that submit and read jobs. */
  static final List<String> JOB_ROLES = List.of("tenant", "nonprofit");
}
