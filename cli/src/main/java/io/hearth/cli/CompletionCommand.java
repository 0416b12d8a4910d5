package io.hearth.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code hearth completion}: a bash (and zsh) completion script; {@code source <(hearth completion)}. */
@Command(name = "completion", description = "Print a bash/zsh completion script: source <(hearth completion)")
final class CompletionCommand implements Callable<Integer> {

  @ParentCommand
  Hearth hearth;

  @Override
  public Integer call() {
    hearth.out.print(AutoComplete.bash("hearth", Hearth.commandLine(new Hearth(hearth.env, hearth.out, hearth.err))));
    return ExitCodes.OK;
  }
}
