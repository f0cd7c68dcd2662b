import { Command, Option } from 'commander';
import { addStateOptions, stateTimeoutOptions } from '../state-options.js';
import type { MigrateFlags } from './state-migrate.js';
import { UsageError } from '../../errors.js';
import { checkedOption, durationOption } from '../typed-options.js';
import { checkSandboxName } from '../sandbox-option.js';
import { applyFileDefaultSandbox } from '../manifest-sandbox.js';
import type { ConnectFlags } from '../connect.js';
import { list, show, type SandboxOptions } from './state-read.js';
import type { LockingOptions } from './state-repair.js';
import type { SettleOptions } from './state-settle.js';
import { pasteFlagsOf } from '../paste-flags.js';

function withState(command: Command): Command {
  return addStateOptions(command);
}

/**
 * `--config` of a command that reads the configuration only for its `state:` (list, show,
 * forget): the commands other commands print carry the `--config` they were given.
 */
function withStateConfig(command: Command): Command {
  return command.addOption(
    new Option('--config <file>', 'configuration file whose `state:` names the store').env(
      'AUDIENCECTL_CONFIG',
    ),
  );
}

function withSandbox(command: Command, help: string): Command {
  return command.addOption(checkedOption('--sandbox <name>', help, checkSandboxName));
}

/** The sandbox of a key unless --sandbox is given: as for manifests, the file's defaultSandbox wins over AEP_SANDBOX. */
const OF_KEY = "sandbox (default: the configuration file's defaultSandbox, else AEP_SANDBOX, else prod)";

/**
 * `--sandbox` of a command given a key (or `import --discover`'s filter), resolved as the
 * commands that read manifests resolve it (manifest-sandbox.ts): unless typed, the
 * configuration file's `defaultSandbox`, then AEP_SANDBOX (read by the command), then `prod`.
 */
function withKeySandbox(command: Command, help = OF_KEY): Command {
  return withSandbox(command, help).hook('preAction', applyFileDefaultSandbox);
}

function withLockTimeout(command: Command): Command {
  return command.addOption(
    durationOption(
      '--lock-timeout <duration>',
      'wait this long for another applier to finish (30s, 5m; a plain number is seconds)',
      's',
    ).default('0s'),
  );
}

/** `Examples:` after a command's help. */
function examples(command: Command, lines: readonly string[]): Command {
  return command.addHelpText('after', ['', 'Examples:', ...lines.map((line) => `  ${line}`)].join('\n'));
}

// Each subcommand's module is loaded when it runs (as run-cli.ts loads each command's): `state
// list` and `state show` load neither the import, its manifests' reader (picomatch), the AEP
// client's checks, settle-run nor migrate (test/cli/start-up-imports.spec.ts).

/** `audiencectl state migrate --from <dir|url> --to <dir|url>`. */
function migrateCommand(): Command {
  const [connectTimeout, queryTimeout] = stateTimeoutOptions();
  return new Command('migrate')
    .description('Copy a whole state (records, lineage, serial) from one store to another, and verify it')
    .requiredOption('--from <dir|url>', 'the store to copy: a directory or a postgres:// URL')
    .requiredOption(
      '--to <dir|url>',
      'the store to fill: a directory (created if missing) or a postgres:// URL (made with `audiencectl init` first)',
    )
    .option('--force', 'replace what the target already holds')
    .addOption(
      durationOption(
        '--lock-timeout <duration>',
        'wait this long for other appliers to finish (30s, 5m; a plain number is seconds)',
        's',
      ).default('0s'),
    )
    .option('--state-password-file <file>', 'file holding the PostgreSQL password (either side)')
    .addOption(connectTimeout)
    .addOption(queryTimeout)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  audiencectl init --state postgres://audiencectl@db:5432/audiences',
        '  audiencectl state migrate --from .audiencectl-state --to postgres://audiencectl@db:5432/audiences',
      ].join('\n'),
    )
    .action(async (flags: MigrateFlags) => (await import('./state-migrate.js')).migrate(flags));
}

/** `audiencectl state list|show|import|forget|settle-run|migrate`: inspect and repair recorded state. */
export function stateCommand(_setExit: (code: number) => void): Command {
  const state = new Command('state')
    .description('Inspect and repair what audiencectl recorded about remote audiences')
    .exitOverride();
  examples(state, [
    'audiencectl state list --state .audiencectl-state',
    'audiencectl state show gold-members --sandbox prod',
    'audiencectl state import gold-members audiences/ --sandbox prod --audience-id 60ccea95-1435-4180-97a5-58af4aa285ab',
    'audiencectl state forget gold-members --sandbox prod',
    'audiencectl state settle-run gold-members --sandbox prod --run-id 2f1c3b6e-8d0a-4c4e-9a51-7e2d6f0b9c13',
    'audiencectl state migrate --from .audiencectl-state --to postgres://audiencectl@db:5432/audiences',
  ]);

  withStateConfig(withState(withSandbox(state.command('list'), 'only this sandbox')))
    .description('List recorded audiences: sandbox, key, audience id, status')
    .option('--json', 'print the recorded state as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  audiencectl state list --state .audiencectl-state\n  audiencectl state list --sandbox prod --json',
    )
    .action((options: SandboxOptions & { json?: boolean }, invoked: Command) =>
      list({ ...options, paste: pasteFlagsOf(invoked) }),
    );

  withStateConfig(
    withState(
      withKeySandbox(
        state.command('show <key>'),
        "sandbox of the key (default: the configuration file's defaultSandbox, else AEP_SANDBOX, else the only one)",
      ),
    ),
  )
    .description('Print the record of one audience as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  audiencectl state show gold-members --sandbox prod --state .audiencectl-state',
    )
    .action((key: string, options: SandboxOptions, invoked: Command) =>
      show(key, { ...options, paste: pasteFlagsOf(invoked) }),
    );

  withLockTimeout(
    withState(
      withKeySandbox(
        state.command('import [key] [dir]'),
        "sandbox of manifests that name none (default: the configuration file's defaultSandbox, else AEP_SANDBOX, else prod); with --discover also the only sandbox looked in (none given: every sandbox)",
      ),
    ),
  )
    .description(
      'Record an existing remote audience for a key (repairs "exists remotely, id unknown"); dir: the manifests (default .). With --discover: every manifest without a record, found by name',
    )
    .option('--audience-id <id>', 'id of the remote audience')
    .option(
      '--discover',
      'match every manifest without a record to the audience of its exact name ([key] is then the dir)',
    )
    .option(
      '--dry-run',
      'check and print what the import would record, record nothing (with --discover: the table)',
    )
    .option('--force', 'point a key that already has an audience id at another audience')
    .option(
      '--without-manifest',
      'record a key no manifest in dir names (refused otherwise): an apply whose manifests do not name it deletes its audience',
    )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  audiencectl state import gold-members audiences/ --sandbox prod --audience-id 60ccea95-1435-4180-97a5-58af4aa285ab',
        '  audiencectl state import gold-members audiences/ --audience-id 60ccea95-1435-4180-97a5-58af4aa285ab --config audiencectl.yaml',
        '  audiencectl state import --discover audiences/ --sandbox prod --dry-run',
      ].join('\n'),
    )
    .addOption(
      new Option(
        '--config <file>',
        'AEP configuration file; with credentials (there or in AEP_* variables) the id is checked through the service',
      ).env('AUDIENCECTL_CONFIG'),
    )
    .action(
      async (
        key: string | undefined,
        dir: string | undefined,
        given: LockingOptions &
          ConnectFlags & {
            audienceId?: string;
            force?: boolean;
            withoutManifest?: boolean;
            discover?: boolean;
            dryRun?: boolean;
          },
        invoked: Command,
      ) => {
        const options = { ...given, paste: pasteFlagsOf(invoked) };
        if (options.discover) {
          if (dir !== undefined || options.audienceId !== undefined)
            throw new UsageError(
              'BAD_FLAG',
              '--discover takes the manifests directory alone, no key or --audience-id',
            );
          return (await import('./state-discover.js')).discoverCommand(key ?? '.', options);
        }
        if (key === undefined || options.audienceId === undefined)
          throw new UsageError('BAD_FLAG', 'state import needs <key> and --audience-id <id>, or --discover');
        const { importCommand } = await import('./state-repair.js');
        return importCommand(key, dir ?? '.', { ...options, audienceId: options.audienceId });
      },
    );

  withStateConfig(withLockTimeout(withState(withKeySandbox(state.command('forget <key>')))))
    .description('Remove a record without touching the remote audience')
    .addHelpText(
      'after',
      '\nExamples:\n  audiencectl state forget gold-members --sandbox prod --state .audiencectl-state',
    )
    .action(async (key: string, options: LockingOptions, invoked: Command) =>
      (await import('./state-repair.js')).forget(key, { ...options, paste: pasteFlagsOf(invoked) }),
    );

  const settleRun = withLockTimeout(withState(withKeySandbox(state.command('settle-run <key>'))))
    .description(
      'Settle a run intent the runs list cannot (the step says "cannot tell whether the run request started a run"), or record a run the state has no trace of (a run step blocked by it), once you have looked at the audience\'s runs in AEP',
    )
    .option(
      '--run-id <id>',
      'the run the request started: checked through the service (its runs list, else the run itself), then recorded',
    )
    .option(
      '--no-run',
      "the request started no run: checked against the audience's runs list, then the intent is cleared, nothing recorded",
    )
    .option(
      '--force',
      'with --no-run: take it where nothing can be checked (no credentials, or the runs list fails)',
    )
    .option(
      '--request <token>',
      "with --run-id, on a record without a run intent: the ingestion.request token that run honours (the blocked run step's command gives it)",
    )
    .addOption(
      new Option(
        '--config <file>',
        'AEP configuration file; credentials (there or in AEP_* variables) let the claim be checked',
      ).env('AUDIENCECTL_CONFIG'),
    );
  examples(settleRun, [
    'audiencectl state settle-run gold-members --sandbox prod --run-id 2f1c3b6e-8d0a-4c4e-9a51-7e2d6f0b9c13',
    'audiencectl state settle-run gold-members --sandbox prod --no-run',
  ]).action(async (key: string, options: SettleOptions) =>
    (await import('./state-settle.js')).settleRunCommand(key, options),
  );

  state.addCommand(migrateCommand());

  return state;
}
