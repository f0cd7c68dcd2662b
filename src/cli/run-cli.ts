import { Command, CommanderError } from 'commander';
import { AudiencectlError } from '../errors.js';
import { escapeText } from '../text/safe-text.js';
import { redactText, registerSecret, scrubSecrets } from '../text/secrets.js';
import { ExitCode } from './exit-codes.js';
import {
  addProblemCheck,
  commandProblems,
  reportProblems,
  typedOptionProblems,
  withOthers,
} from './typed-options.js';
import { addColorOptions, setColorMode } from './color.js';
import { unsetEmptyConfigVariable } from './empty-config-env.js';
import { clientSecretOfFile } from './env-secret-file.js';
import { addHelpCommand, commandPath, refuseUnknownBeforeHelp } from './help-command.js';
import { version } from './version.js';

/** Builds a command; the command reports an exit code other than 0 through `setExit`. */
type CommandFactory = (setExit: (code: number) => void) => Command;

/**
 * Each command's module is loaded only when that command runs: `plan` never loads the
 * HTTP server, and every process the tests and CI jobs spawn starts faster.
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandFactory> }> = {
  validate: {
    summary: 'check manifests; print problems as file:line:col',
    load: async () => (await import('./commands/validate.js')).validateCommand,
  },
  plan: {
    summary: 'show the API calls that would close the gap (changes nothing)',
    load: async () => {
      const [{ planCommand }, { cacheSwitchProblems }] = await Promise.all([
        import('./commands/plan.js'),
        import('./manifest-cache-file.js'),
      ]);
      // Only plan reads the caches: their switches are checked with its options.
      return (setExit) => addProblemCheck(planCommand(setExit), cacheSwitchProblems);
    },
  },
  apply: {
    summary: 'plan, confirm, then make the API calls',
    load: async () => (await import('./commands/apply.js')).applyCommand,
  },
  init: {
    summary: 'create the state store (or migrate its PostgreSQL schema) and check the AEP credentials',
    load: async () => (await import('./commands/init.js')).initCommand,
  },
  state: {
    summary: 'inspect and repair the recorded state',
    load: async () => (await import('./commands/state.js')).stateCommand,
  },
  run: {
    summary: 'the controller: git sync, watch, webhook, reconcile loop, metrics',
    load: async () => (await import('./commands/run.js')).runCommand,
  },
  emulator: {
    summary: 'run the External Audiences API + IMS emulator',
    load: async () => (await import('./commands/emulator.js')).emulatorCommand,
  },
  version: {
    summary: 'print the version (same as --version)',
    load: () =>
      Promise.resolve(() =>
        new Command('version').action(() => {
          process.stdout.write(`${version}\n`);
        }),
      ),
  },
};

/** The command `argv` asks for (`audiencectl help <name>` included), if any; global options may come first. */
function requestedCommand(argv: readonly string[]): string | undefined {
  const args = argv.slice(2);
  while (args[0] === '--color' || args[0]?.startsWith('--color=') || args[0] === '--no-color') {
    args.splice(0, args[0] === '--color' ? 2 : 1);
  }
  const [first, second] = args;
  return first === 'help' ? second : first;
}

/** The program's own options, which may come before `--version`, and after it. */
function isGlobalOption(word: string): boolean {
  return word === '--no-color' || word.startsWith('--color=') || word === '-V' || word === '--version';
}

/**
 * `audiencectl --version extra` (or `-V plan`) printed the version and exited 0, where
 * `audiencectl version extra` is refused: commander prints it as soon as it reads the flag.
 * A `--version` before any command takes nothing but the program's own options after it.
 */
function refuseVersionArguments(program: Command, argv: readonly string[]): void {
  const args = argv.slice(2);
  let version = false;
  while (args.length > 0) {
    const word = args.shift() ?? '';
    if (word === '--color') args.shift();
    else if (word === '-V' || word === '--version') version = true;
    else if (!isGlobalOption(word)) {
      if (version)
        program.error(`error: --version takes no arguments, but was given '${word}'`, {
          code: 'commander.excessArguments',
        });
      return;
    }
  }
}

/**
 * commander's own errors (an unknown option or command, a missing argument) as one line,
 * as ours are: `Error:`, its suggestion on the same line, then where the usage is. They
 * quote what was typed, before any secret is registered: an unknown `--name=value` loses
 * its value (a typo'd `--git-tokn=$TOKEN` in a CI job), and the rest is redacted (URL
 * passwords, tokens) and made visible (no terminal escapes), as our own errors are.
 */
function oneLineError(command: Command): (text: string, write: (text: string) => void) => void {
  return (text, write) => {
    const message = text
      .trim()
      .replace(/^error: /, 'Error: ')
      .replace(/^(Error: unknown option '[^'=]*)=[^']*'/, "$1=…'")
      .replace(/\n\(Did you mean (.*)\?\)$/, ' (did you mean $1?)')
      .replace(/\s*\n\s*/g, ' ');
    write(`${escapeText(redactText(message))} (see ${commandPath(command)} --help)\n`);
  };
}

/**
 * The client secrets of the configuration file, registered before the command reads a
 * record, for every command that reads the state or connects: as AEP_CLIENT_SECRET is (see
 * runCli), a secret the file names (clientSecretEnv, clientSecretFile) may be quoted by a
 * record an older release wrote, and plan without --refresh and the state commands print
 * records without ever loading the credentials. The file is `--config` (or
 * AUDIENCECTL_CONFIG, its variable), also for the state commands that read it only for its
 * `state:`. Without a file, nothing is loaded (plan's start-up).
 */
async function registerConfigSecrets(action: Command): Promise<void> {
  const reads = action.options.some((option) => option.long === '--config' || option.long === '--state');
  if (!reads) return;
  const given: unknown = action.optsWithGlobals().config ?? process.env.AUDIENCECTL_CONFIG;
  if (typeof given !== 'string' || given === '') return;
  const { registerConfigFileSecrets } = await import('../config/file-secrets.js');
  await registerConfigFileSecrets(given, process.env);
}

/**
 * A configuration file given to a command that reads it (`--config`, or AUDIENCECTL_CONFIG
 * its variable) is checked whole before the command runs, as apply checks it: plan without
 * --refresh and the state commands read only part of it (a secret to scrub, `state:`),
 * and passed a file apply then refused. Credentials are not resolved (a plan needs none).
 * With --emulator the file is not read.
 */
async function refuseInvalidConfigFile(action: Command): Promise<void> {
  if (!action.options.some((option) => option.long === '--config')) return;
  const flags = action.opts<{ config?: unknown; emulator?: unknown }>();
  if (flags.emulator === true || typeof flags.config !== 'string' || flags.config === '') return;
  const { checkConfigFile } = await import('../config/read-file.js');
  const checked = checkConfigFile(flags.config, process.env);
  if (!checked.ok) throw checked.error;
}

/** Applies the program's settings to every command, nested ones (`state list`) included. */
function configureAll(command: Command): void {
  // Commands with subcommands (the program, `state`) take `help <command...>`; the others do not.
  if (command.commands.length > 0) {
    addHelpCommand(command);
    refuseUnknownBeforeHelp(command);
  }
  command
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ outputError: oneLineError(command) })
    .configureHelp({ showGlobalOptions: true });
  for (const sub of command.commands) configureAll(sub);
}

export async function buildProgram(
  setExit: (code: number) => void,
  argv: readonly string[],
): Promise<Command> {
  const program = new Command('audiencectl')
    .description('Declarative GitOps reconciler for Adobe Experience Platform external audiences')
    .version(version, '-V, --version')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    // Every duration, count and boolean option is checked before any command runs.
    .hook('preAction', async (program, action) => {
      unsetEmptyConfigVariable(action);
      setColorMode(action.optsWithGlobals().color);
      await registerConfigSecrets(action);
      // The program's own (`--color`) with the command's, so that all are reported at once.
      const problems = [...typedOptionProblems(program), ...commandProblems(action)];
      // An option is wrong: the AEP configuration's problems are reported with it, in one
      // pass (loaded only then: most runs never need it here).
      if (problems.length > 0) {
        const { configProblemsFor } = await import('./connect.js');
        reportProblems(withOthers(problems, await configProblemsFor(action)));
      }
      await refuseInvalidConfigFile(action);
    });
  addColorOptions(program);
  const wanted = requestedCommand(argv);
  for (const [name, entry] of Object.entries(COMMANDS)) {
    const command = name === wanted ? (await entry.load())(setExit) : new Command(name);
    program.addCommand(command.summary(entry.summary));
  }
  configureAll(program);
  return program;
}

/** Runs the CLI and returns its exit code; user mistakes never print a stack trace. */
export async function runCli(argv: string[]): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  // A secret for every command, also those that never load the configuration (plan without
  // --refresh, the state commands): a state written before failure reasons were scrubbed
  // where they enter may quote it, and they print what they read from the state.
  registerSecret(process.env.AEP_CLIENT_SECRET?.trim());
  // So is the one of AEP_CLIENT_SECRET_FILE (the chart gives it so): it was printed as recorded.
  registerSecret(clientSecretOfFile(process.env.AEP_CLIENT_SECRET_FILE));
  try {
    // Before the command's code loads: the thread's own start-up runs on the other core meanwhile.
    if (requestedCommand(argv) === 'plan' && argv[2] !== 'help')
      (await import('./plan-prestart.js')).prestartPlanScan(argv.slice(2));
    const program = await buildProgram((code) => {
      exitCode = code;
    }, argv);
    refuseVersionArguments(program, argv);
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit through here with code 0.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Error;
    }
    // The last line of defence: a registered secret (client secret, token, password) that
    // reached a message is scrubbed here, whatever the message was built from.
    if (error instanceof AudiencectlError) {
      process.stderr.write(`Error: ${escapeText(scrubSecrets(error.message), { keepLineBreaks: true })}\n`);
      return error.exitCode;
    }
    process.stderr.write(
      `Internal error (please report it): ${escapeText(scrubSecrets(String((error as Error)?.stack ?? error)), { keepLineBreaks: true })}\n`,
    );
    endedByBug = true;
    return ExitCode.Error;
  }
}

let endedByBug = false;

/**
 * Whether the command ended on an internal error (a bug): what it left running then (a parser
 * thread in the middle of a session, a socket, a timer) may be something nothing will end, and
 * the process must not wait for it (src/cli/main.ts).
 */
export function endedOnBug(): boolean {
  return endedByBug;
}
