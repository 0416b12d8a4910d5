package io.hearth.cli;

import io.grpc.StatusRuntimeException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code hearth}: the command line of Hearth for tenants, nonprofits and operators. Each
 * subcommand is one class; this one parses, runs and turns failures into an exit code
 * ({@link ExitCodes}) and one line on stderr naming what was wrong.
 */
@Command(name = "hearth", mixinStandardHelpOptions = true, version = "hearth 0.1.0",
    description = "Submit, watch and inspect jobs on a Hearth scheduler cluster.",
    subcommands = {SubmitCommand.class, GetCommand.class, ListCommand.class, WatchCommand.class, LogsCommand.class,
        CancelCommand.class, NodesCommand.class, AdminCommands.Drain.class, AdminCommands.Undrain.class,
        AdminCommands.Approve.class, AdminCommands.Status.class, DonationCommands.Offers.class, DonationCommands.Claim.class,
        DonationCommands.Grants.class, DonationCommands.Report.class, CertsCommand.class, CompletionCommand.class},
    footer = {"", "Exit codes: 0 ok, 1 a job failed, 2 bad flags or input, 3 not found or not allowed,",
        "4 scheduler unavailable, 5 over quota, 6 still running when the wait ran out, 7 server error."})
public final class Hearth implements Runnable {

  final Map<String, String> env;
  final PrintStream out;
  final PrintStream err;
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  Hearth(Map<String, String> env, PrintStream out, PrintStream err) {
    this.env = env;
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
    System.exit(run(args, System.getenv(), out, System.err));
  }

  /** Runs one command line; returns its exit code. */
  public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    return commandLine(new Hearth(env, out, err)).execute(args);
  }

  static CommandLine commandLine(Hearth hearth) {
    CommandLine cl = new CommandLine(hearth);
    cl.setOut(new PrintWriter(hearth.out, true));
    cl.setErr(new PrintWriter(hearth.err, true));
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setExecutionExceptionHandler((e, line, parsed) -> {
      if (e instanceof StatusRuntimeException sre) {
        String what = sre.getStatus().getDescription() == null ? "" : ": " + sre.getStatus().getDescription();
        hearth.err.println("hearth: " + sre.getStatus().getCode() + what);
        return ExitCodes.of(sre.getStatus().getCode());
      }
      if (e instanceof IllegalArgumentException) {
        hearth.err.println("hearth: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      }
      throw e;
    });
    return cl;
  }

  @Override
  public void run() {
    spec.commandLine().usage(out);
  }
}
