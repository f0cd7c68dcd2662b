import { Command } from 'commander';
import { escapeText } from '../../text/safe-text.js';
import { describeRunFailure, lastRunFailure, lastRunStatus, recordStatus } from '../../state/describe.js';
import { describeStale } from '../../state/lock.js';
import { describeHolder } from '../../state/lock-holder.js';
import { assertValidId } from '../../state/record-id.js';
import { assertStateDir, importAudience, notFound, sandboxesWithKey } from '../../state/repair.js';
import { StateError } from '../../state/errors.js';
import { recordId, type AudienceRecord } from '../../state/schema.js';
import type { StateStore } from '../../state/store.js';
import { addStateOptions, openStoreFor, stateLocationOf, type StateFlags } from '../state-options.js';
import { migrateCommand } from './state-migrate.js';
import { discoverCommand } from './state-discover.js';
import { UsageError } from '../../errors.js';
import { durationOption } from '../typed-options.js';
import { manifestFacts } from '../import-manifest.js';
import type { ConnectFlags } from '../connect.js';
import { verifiedImport } from '../import-verify.js';
import { requireStateStore } from '../state-location.js';

type StateOptions = StateFlags;
type SandboxOptions = StateOptions & { sandbox?: string };
/** `lockTimeout` in milliseconds. */
type LockingOptions = SandboxOptions & { lockTimeout: number };

/** Records quote manifest values and the service's answers: shown escaped. */
function out(text: string): void {
  process.stdout.write(`${escapeText(text, { keepLineBreaks: true })}\n`);
}

/** `--sandbox`, else AEP_SANDBOX, else `prod`; `undefined` only when asked for what was given. */
function explicitSandbox(options: SandboxOptions): string | undefined {
  return options.sandbox ?? (process.env.AEP_SANDBOX || undefined);
}

function sandboxOf(options: SandboxOptions): string {
  return explicitSandbox(options) ?? 'prod';
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Opens the store under its lock, runs `fn`, always lets go. */
async function withLock<T>(options: LockingOptions, command: string, fn: (store: StateStore) => Promise<T>) {
  const store = await openStoreFor(options);
  const info = await store.lock({ timeoutMs: options.lockTimeout, command: `audiencectl state ${command}` });
  if (info.tookOver) {
    process.stderr.write(
      `Took over a stale state lock held by ${describeHolder(info.tookOver.holder)}: ${describeStale(info.tookOver.reason)}.\n`,
    );
  }
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Opens an existing store for reading: a mistyped directory must not look like an empty store. */
async function openExisting(options: StateOptions): Promise<StateStore> {
  const location = stateLocationOf(options);
  if (location.kind === 'dir') await assertStateDir(location.dir);
  return openStoreFor(options, location);
}

async function withStore<T>(options: StateOptions, fn: (store: StateStore) => Promise<T>): Promise<T> {
  const store = await openExisting(options);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function list(options: SandboxOptions & { json?: boolean }): Promise<void> {
  const { store, state } = await withStore(options, async (store) => ({
    store,
    state: await store.readAll(),
  }));
  const audiences = state.audiences.filter(
    (r) => options.sandbox === undefined || r.sandbox === options.sandbox,
  );
  if (options.json) {
    out(JSON.stringify({ meta: state.meta ?? null, audiences }, null, 2));
    return;
  }
  if (audiences.length === 0) {
    out(`No audiences recorded in ${store.location}.`);
    return;
  }
  const rows = audiences.map((r) => [
    r.sandbox,
    r.key,
    r.audienceId ?? '-',
    recordStatus(r),
    lastRunStatus(r),
  ]);
  out(table([['SANDBOX', 'KEY', 'AUDIENCE ID', 'STATUS', 'LAST RUN'], ...rows]));
  const meta = state.meta ? `; lineage ${state.meta.lineage}, serial ${state.meta.serial}` : '';
  out(`\n${audiences.length} audience${audiences.length === 1 ? '' : 's'}${meta}.`);
  const blocked = audiences.filter((r) => r.blocked).length;
  if (blocked > 0) {
    out(
      `${blocked} blocked: \`audiencectl state show <key>\` says why; \`state import\` repairs an unknown id.`,
    );
  }
}

async function show(key: string, options: SandboxOptions): Promise<void> {
  await withStore(options, (store) => showIn(store, key, options));
}

async function showIn(store: StateStore, key: string, options: SandboxOptions): Promise<void> {
  const given = explicitSandbox(options);
  const holders = await sandboxesWithKey(store, key);
  let sandbox = given;
  if (sandbox === undefined) {
    if (holders.length > 1) {
      throw new StateError(
        'STATE_AMBIGUOUS_KEY',
        `${key} is recorded in sandboxes ${holders.join(', ')}; pass --sandbox to choose one`,
      );
    }
    sandbox = holders[0] ?? 'prod';
  }
  assertValidId(sandbox, key);
  const record = await store.get(sandbox, key);
  if (!record) throw notFound(store.location, sandbox, key, holders);
  out(JSON.stringify(record, null, 2));
  // On standard error, so the JSON on standard output stays parseable.
  const failure = lastRunFailure(record);
  if (failure) process.stderr.write(`Last ${escapeText(describeRunFailure(failure))}.\n`);
}

/** Audience ids are UUIDs (the reference page's samples, and what the service returns). */
const AUDIENCE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function importCommand(
  key: string,
  dir: string,
  options: LockingOptions & ConnectFlags & { audienceId: string; force?: boolean },
) {
  const sandbox = sandboxOf(options);
  assertValidId(sandbox, key);
  if (!AUDIENCE_ID.test(options.audienceId)) {
    throw new StateError(
      'STATE_BAD_AUDIENCE_ID',
      `--audience-id "${options.audienceId}" is not an audience id: AEP audience ids are UUIDs such as 60ccea95-1435-4180-97a5-58af4aa285ab`,
    );
  }
  await requireStateStore(stateLocationOf(options));
  const facts = await manifestFacts(dir, sandbox, key);
  let verification = '';
  const at = new Date().toISOString();
  const { record, notes } = await withLock(options, 'import', (store) =>
    importAudience(store, {
      sandbox,
      key,
      audienceId: options.audienceId,
      force: options.force === true,
      imported: {
        at,
        ...(facts.ingestionRequest === undefined ? {} : { ingestionRequest: facts.ingestionRequest }),
      },
      manifestFile: facts.manifestFile,
      // After the store's own checks: an id recorded for another key is refused without a call.
      verify: async () => {
        verification = await verifiedImport(options, {
          sandbox,
          key,
          audienceId: options.audienceId,
          name: facts.name,
        });
      },
    }),
  );
  out(`Imported ${recordId(sandbox, key)}: audience ${record.audienceId ?? '?'}.`);
  for (const note of notes) out(`  - ${note}`);
  out(`  - ${verification}`);
  if (facts.note) out(`  - ${facts.note}`);
  else if (record.imported) {
    const token = record.imported.ingestionRequest;
    out(
      `  - counted as already ingested: no first run${token === undefined ? '' : `, and ingestion.request "${token}" counts as done`}; the next run is differential from now`,
    );
  }
}

async function forget(key: string, options: LockingOptions): Promise<void> {
  await (await openExisting(options)).close();
  const sandbox = sandboxOf(options);
  assertValidId(sandbox, key);
  const record = await withLock(options, 'forget', async (store) => {
    // Read leniently: forgetting is also how a corrupt record is dropped.
    const before = await store.get(sandbox, key).catch(() => undefined);
    if (!(await store.delete(sandbox, key))) {
      const elsewhere = (await sandboxesWithKey(store, key)).filter((s) => s !== sandbox);
      throw notFound(store.location, sandbox, key, elsewhere);
    }
    return before;
  });
  out(`Forgot ${recordId(sandbox, key)}${audienceNote(record)}. The remote audience is untouched.`);
  if (record?.intent) {
    out(
      `It had a pending ${record.intent.kind} intent from ${record.intent.startedAt}: that call may have changed the remote audience.`,
    );
  }
  out(
    `While its manifest exists, the next apply will try to create it again; remove the manifest, or \`state import\` it back.`,
  );
}

function audienceNote(record: AudienceRecord | undefined): string {
  return record?.audienceId ? ` (audience ${record.audienceId})` : '';
}

function withState(command: Command): Command {
  return addStateOptions(command);
}

function withSandbox(command: Command, help: string): Command {
  return command.option('--sandbox <name>', help);
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

/** `audiencectl state list|show|import|forget`: inspect and repair recorded state. */
export function stateCommand(_setExit: (code: number) => void): Command {
  const state = new Command('state')
    .description('Inspect and repair what audiencectl recorded about remote audiences')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  examples(state, [
    'audiencectl state list --state .audiencectl-state',
    'audiencectl state show gold-members --sandbox prod',
    'audiencectl state import gold-members --sandbox prod --audience-id 60ccea95-1435-4180-97a5-58af4aa285ab',
    'audiencectl state forget gold-members --sandbox prod',
    'audiencectl state migrate --from .audiencectl-state --to postgres://audiencectl@db:5432/audiences',
  ]);

  withState(withSandbox(state.command('list'), 'only this sandbox'))
    .description('List recorded audiences: sandbox, key, audience id, status')
    .option('--json', 'print the recorded state as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  audiencectl state list --state .audiencectl-state\n  audiencectl state list --sandbox prod --json',
    )
    .action((options: SandboxOptions & { json?: boolean }) => list(options));

  withState(
    withSandbox(state.command('show <key>'), 'sandbox of the key (default: AEP_SANDBOX, or the only one)'),
  )
    .description('Print the record of one audience as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  audiencectl state show gold-members --sandbox prod --state .audiencectl-state',
    )
    .action((key: string, options: SandboxOptions) => show(key, options));

  withLockTimeout(
    withState(withSandbox(state.command('import [key] [dir]'), 'sandbox (default: AEP_SANDBOX or prod)')),
  )
    .description(
      'Record an existing remote audience for a key (repairs "exists remotely, id unknown"); dir: the manifests (default .). With --discover: every manifest without a record, found by name',
    )
    .option('--audience-id <id>', 'id of the remote audience')
    .option(
      '--discover',
      'match every manifest without a record to the audience of its exact name ([key] is then the dir)',
    )
    .option('--dry-run', 'with --discover: print the table, record nothing')
    .option('--force', 'point a key that already has an audience id at another audience')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  audiencectl state import gold-members audiences/ --sandbox prod --audience-id 60ccea95-1435-4180-97a5-58af4aa285ab',
        '  audiencectl state import gold-members --audience-id 60ccea95-1435-4180-97a5-58af4aa285ab --config audiencectl.yaml',
        '  audiencectl state import --discover audiences/ --sandbox prod --dry-run',
      ].join('\n'),
    )
    .option(
      '--config <file>',
      'AEP configuration file; with credentials (there or in AEP_* variables) the id is checked through the service',
    )
    .action(
      (
        key: string | undefined,
        dir: string | undefined,
        options: LockingOptions &
          ConnectFlags & { audienceId?: string; force?: boolean; discover?: boolean; dryRun?: boolean },
      ) => {
        if (options.discover) {
          if (dir !== undefined || options.audienceId !== undefined)
            throw new UsageError(
              'BAD_FLAG',
              '--discover takes the manifests directory alone, no key or --audience-id',
            );
          return discoverCommand(key ?? '.', options);
        }
        if (key === undefined || options.audienceId === undefined)
          throw new UsageError('BAD_FLAG', 'state import needs <key> and --audience-id <id>, or --discover');
        return importCommand(key, dir ?? '.', { ...options, audienceId: options.audienceId });
      },
    );

  withLockTimeout(
    withState(withSandbox(state.command('forget <key>'), 'sandbox (default: AEP_SANDBOX or prod)')),
  )
    .description('Remove a record without touching the remote audience')
    .addHelpText(
      'after',
      '\nExamples:\n  audiencectl state forget gold-members --sandbox prod --state .audiencectl-state',
    )
    .action((key: string, options: LockingOptions) => forget(key, options));

  state.addCommand(migrateCommand());

  return state;
}
