package io.hearth.cli;

import io.hearth.certs.CertsMain;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code hearth certs init|issue}: the development CA of {@code hearth-certs}, writing into the
 * same folder the other commands read ({@code --tls-dir}, HEARTH_TLS_DIR, or dev mode's).
 */
@Command(name = "certs", description = "Development certificates (hearth-certs): a dev CA and one certificate per identity.",
    subcommands = {CertsCommand.Init.class, CertsCommand.Issue.class})
final class CertsCommand implements Runnable {

  @ParentCommand
  Hearth hearth;
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(hearth.out);
  }

  @Command(name = "init", description = "Create the dev CA, the scheduler's certificate, tenant-acme, nonprofit-open-renders and operator-ops (kept if present).")
  static final class Init implements Callable<Integer> {
    @ParentCommand
    CertsCommand certs;
    @Mixin
    Connection connection;

    @Override
    public Integer call() {
      Hearth hearth = certs.hearth;
      hearth.out.println(CertsMain.run(new String[] {"init", "--dir", connection.tlsDir(hearth).toString()}));
      return ExitCodes.OK;
    }
  }

  @Command(name = "issue", description = "Issue a certificate ROLE-ID.pem signed by the dev CA.")
  static final class Issue implements Callable<Integer> {
    @ParentCommand
    CertsCommand certs;
    @Mixin
    Connection connection;
    @Option(names = "--role", required = true, description = "tenant, nonprofit, node or operator.")
    String role;
    @Option(names = "--id", required = true, description = "The tenant's, nonprofit's, node's or operator's id.")
    String id;
    @Option(names = "--security-class", description = "For nodes: OPEN, SEALED, CONTROLLED or CERTIFIED.")
    String securityClass;

    @Override
    public Integer call() {
      Hearth hearth = certs.hearth;
      List<String> args = new ArrayList<>(List.of("issue", "--dir", connection.tlsDir(hearth).toString(), "--role", role, "--id", id));
      if (securityClass != null) {
        args.addAll(List.of("--security-class", securityClass));
      }
      hearth.out.println(CertsMain.run(args.toArray(String[]::new)));
      return ExitCodes.OK;
    }
  }
}
