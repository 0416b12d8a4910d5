package io.hearth.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/** A subcommand that calls the scheduler: the connection flags, {@code --output}, and the console. */
abstract class ClientCommand implements Callable<Integer> {

  @ParentCommand
  Hearth hearth;
  @Mixin
  Connection connection;
  @Mixin
  Output output;
}
