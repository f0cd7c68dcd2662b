import { Command, CommanderError } from 'commander';
import { AudiencectlError } from '../errors.js';
import { ExitCode } from './exit-codes.js';
import { version } from './version.js';
import { emulatorCommand } from './commands/emulator.js';
import { applyCommand } from './commands/apply.js';
import { planCommand } from './commands/plan.js';
import { validateCommand } from './commands/validate.js';
import { stateCommand } from './commands/state.js';
import { runCommand } from './commands/run.js';

/** Commands set this to report an exit code other than 0 without throwing. */
export type CommandResult = { exitCode: number };

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('audiencectl')
    .description('Declarative GitOps reconciler for Adobe Experience Platform external audiences')
    .version(version, '-V, --version')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .showHelpAfterError('(run with --help for usage)');
  program.addCommand(validateCommand(setExit));
  program.addCommand(planCommand(setExit));
  program.addCommand(applyCommand(setExit));
  program.addCommand(emulatorCommand(setExit));
  program.addCommand(stateCommand(setExit));
  program.addCommand(runCommand(setExit));
  for (const command of program.commands) {
    command.exitOverride().showHelpAfterError('(run with --help for usage)');
  }
  return program;
}

/** Runs the CLI and returns its exit code; user mistakes never print a stack trace. */
export async function runCli(argv: string[]): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit through here with code 0.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Error;
    }
    if (error instanceof AudiencectlError) {
      process.stderr.write(`Error: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`Internal error (please report it): ${String((error as Error)?.stack ?? error)}\n`);
    return ExitCode.Error;
  }
}
