import { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { describeLocation, parseStateLocation } from '../../state/location.js';
import { migrateState } from '../../state/migrate.js';
import { openStateStore } from '../../state/open.js';
import { assertStateDir } from '../../state/repair.js';
import { stateAccessOf, stateTimeoutOptions, type StateFlags } from '../state-options.js';
import { durationOption } from '../typed-options.js';

type Flags = {
  from: string;
  to: string;
  force?: boolean;
  /** ms */ lockTimeout: number;
} & StateFlags;

async function migrate(flags: Flags): Promise<void> {
  const from = parseStateLocation(flags.from, '--from');
  const to = parseStateLocation(flags.to, '--to');
  if (describeLocation(from) === describeLocation(to))
    throw new UsageError('STATE_MIGRATE_SAME', '--from and --to name the same store');
  if (from.kind === 'dir') await assertStateDir(from.dir, '--from');
  const access = stateAccessOf(flags);
  const source = await openStateStore(from, access);
  const target = await openStateStore(to, access);
  try {
    const result = await migrateState(source, target, {
      force: flags.force === true,
      lock: {
        timeoutMs: flags.lockTimeout,
        command: 'audiencectl state migrate',
      },
    });
    const lineage = result.lineage ? `lineage ${result.lineage}, serial ${result.serial}` : 'no lineage yet';
    process.stdout.write(
      `Copied ${result.audiences} audience(s) from ${source.location} to ${target.location} (${lineage}).\n` +
        `Verified: ${result.audiences} record(s) read back, ${result.digest} on both sides.\n`,
    );
  } finally {
    await source.close();
    await target.close();
  }
}

/** `audiencectl state migrate --from <dir|url> --to <dir|url>`. */
export function migrateCommand(): Command {
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
    .action((flags: Flags) => migrate(flags));
}
