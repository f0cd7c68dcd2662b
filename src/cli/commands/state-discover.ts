import path from 'node:path';
import { formatDiagnostic } from '../../manifest/diagnostics.js';
import { sourceRootOf } from '../../manifest/read-source-root.js';
import { repositoryField } from '../../source/work-tree-repository.js';
import { discoverRecords, type DiscoverRow } from '../../apply/discover.js';
import { systemClock } from '../../apply/clock.js';
import { budgetHorizon } from '../../apply/record-helpers.js';
import { escapeText } from '../../text/safe-text.js';
import { shellQuote } from '../../text/shell-quote.js';
import type { LoadResult } from '../../manifest/load.js';
import type { AudienceRecord } from '../../state/schema.js';
import type { ConnectFlags } from '../connect.js';
import { loadDesired } from '../source-options.js';
import { manifestSandboxOf } from '../manifest-sandbox.js';
import { importRevision } from '../import-revision.js';
import { requireStateStore } from '../../state/presence.js';
import type { StateStore } from '../../state/store.js';
import { withLock } from './state-repair.js';
import { readingStderr, stateCommandStop, type StateCommandStop } from '../state-interrupt.js';
import { explicitSandbox } from './state-read.js';
import { locateState, type StateFlags } from '../state-options.js';
import {
  NO_PASTE_FLAGS,
  stateImportCommand,
  pastedFlags,
  withManifestsDir,
  type PasteFlags,
} from '../../text/paste-flags.js';

export type DiscoverOptions = StateFlags &
  ConnectFlags & {
    sandbox?: string;
    lockTimeout: number;
    dryRun?: boolean;
    /** The flags the commands it prints carry (src/text/paste-flags.ts). */
    paste?: PasteFlags;
  };

function table(rows: readonly DiscoverRow[]): string[] {
  const cells = [
    ['KEY', 'RESULT', 'AUDIENCE', 'FOUND'],
    ...rows.map((row) => [`${row.sandbox}/${row.key}`, row.outcome, row.audienceId ?? '-', row.detail]),
  ];
  const widths = [0, 1, 2].map((column) => Math.max(...cells.map((row) => row[column]?.length ?? 0)));
  return cells.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

/** What matching by name cannot check, and what follows (docs/state.md, Repair recipes). */
const NOT_COMPARED =
  "Matched by name only: their fields, sourceSpec and tags are not compared (the Audiences API does not show them) and must be the manifests'; where an audience's fields differ, AEP refuses the first apply's PATCH and its update is blocked until the manifest changes.";

/**
 * What the summary says of manifests whose record waits for its create (discover.ts waitingRow):
 * nothing was recorded for them, and what is listed under their name is not taken for theirs.
 */
function waitingNote(waiting: number, dir: string, paste: PasteFlags | undefined): string {
  if (waiting === 0) return '';
  return ` ${waiting} waiting for their create, records kept as they are (the next apply creates them; an audience found under the name is not theirs unless you import it: ${stateImportCommand('KEY', 'SANDBOX', withManifestsDir(paste ?? NO_PASTE_FLAGS, dir))}).`;
}

/** What the summary says of manifests with a look-alike (discover.ts lookAlikeRow): nothing recorded, nor created. */
function lookAlikeNote(alike: number): string {
  if (alike === 0) return '';
  return ` ${alike} with only a look-alike (an audience whose name the service takes for theirs, or that looks the same), not recorded: the next apply's create is refused (409) or makes a second audience that shows the same name; each is said below.`;
}

/**
 * The manifests of sandboxes other than `sandbox` without a record, which a discover of
 * `sandbox` (explicitSandbox) does not look at: the command that does, per sandbox.
 */
function otherSandboxesNote(
  desired: LoadResult,
  records: readonly AudienceRecord[],
  sandbox: string,
  dir: string,
  paste: PasteFlags | undefined,
): string | undefined {
  const known = new Set(records.map((record) => `${record.sandbox}/${record.key}`));
  const counts = new Map<string, number>();
  for (const m of desired.manifests) {
    if (m.sandbox === sandbox || known.has(`${m.sandbox}/${m.key}`)) continue;
    counts.set(m.sandbox, (counts.get(m.sandbox) ?? 0) + 1);
  }
  if (counts.size === 0) return undefined;
  const each = [...counts]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(
      ([name, count]) =>
        `${count} manifest${count === 1 ? '' : 's'} of sandbox "${name}" without a record: audiencectl state import --discover ${shellQuote(dir)} --sandbox ${name}${pastedFlags(paste, 'state')}`,
    );
  return `Not looked at (this discover looks in sandbox "${sandbox}" only, from --sandbox, the configuration file's defaultSandbox or AEP_SANDBOX): ${each.join('; ')}.`;
}

/** The errors of the manifest files that could not be read, as validate prints them (`file:line:col`, under `dir`). */
function brokenFileLines(desired: LoadResult, dir: string): string[] {
  return desired.diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => formatDiagnostic({ ...d, file: path.join(dir, d.file) }));
}

/**
 * What the summary says when files had errors: the discovery is not complete (their audiences
 * were neither matched nor reported missing), which files, and how to see why.
 */
function incompleteNote(desired: LoadResult, dir: string): string | undefined {
  const files = [...new Set(desired.failedFiles)].map((file) => path.join(dir, file));
  if (files.length === 0) return undefined;
  const which =
    files.length === 1
      ? `1 file has errors (${files[0] ?? ''})`
      : `${files.length} files have errors (${files.join(', ')})`;
  return `Not complete: ${which}, named on stderr (\`audiencectl validate ${shellQuote(dir)}\`): the audiences of what was not read are neither matched nor missing; fix it and discover again.`;
}

/**
 * `audiencectl state import --discover [dir]`: rebuilds lost records by matching every
 * manifest without one to the existing audience of its exact name (the adoption rule), and
 * prints what matched, what is missing and what is ambiguous. `--dry-run` writes nothing.
 */
export function discoverCommand(dir: string, options: DiscoverOptions): Promise<void> {
  return stateCommandStop(options, (stop, reading) => discoverWatched(dir, options, stop, reading));
}

async function discoverWatched(
  dir: string,
  options: DiscoverOptions,
  stop: StateCommandStop,
  reading: <R>(work: Promise<R>) => Promise<R>,
): Promise<void> {
  const say = (text: string) => process.stdout.write(`${escapeText(text)}\n`);
  // As a key's sandbox: --sandbox, else the file's defaultSandbox (state.ts), else AEP_SANDBOX.
  const sandbox = explicitSandbox(options);
  // The configuration's reader (the yaml library) and the client: `state list` and `show` never load them.
  const { resolveTarget, warnOnStderr } = await import('../connect.js');
  const target = await resolveTarget(options, warnOnStderr);
  // Read before the lock, given up at the first signal (nothing written yet).
  const readingSays = readingStderr(stop);
  const { desired, revision } = await reading(
    (async () => {
      const located = await locateState(options);
      await requireStateStore(located.location, options.paste, located.from);
      const loaded = await loadDesired(dir, { sandbox: await manifestSandboxOf(options) });
      // A file with errors is read no further: its audiences are neither matched nor missing.
      for (const line of brokenFileLines(loaded, dir)) readingSays(line);
      const head = options.dryRun
        ? undefined
        : await importRevision(dir, (text) => readingSays(`Warning: ${escapeText(text)}`), stop.signal);
      return { desired: loaded, revision: head };
    })(),
  );
  const incomplete = incompleteNote(desired, dir);
  // The client first, then the store under its lock (withLock), each closed whatever happens
  // after it is opened: a store left open by a client that could not be made kept a
  // PostgreSQL store's sessions until the pool's idle time.
  const connection = await target.open();
  try {
    // A store of another org is refused; what is recorded binds the sandbox to this one.
    await withLock(
      options,
      'import --discover',
      (store, signal) => discover(store, signal),
      (name) => connection.client.orgOf(name),
      stop,
    );
  } finally {
    await connection.close();
  }

  async function discover(store: StateStore, signal: AbortSignal): Promise<void> {
    const { rows, inactiveUnlisted } = await discoverRecords(desired, store, connection.client, {
      sandbox,
      dryRun: options.dryRun === true,
      now: Date.now(),
      budgetHorizon: () => budgetHorizon({ clock: systemClock, client: connection.client }),
      revision,
      sourceRoot: sourceRootOf(dir),
      ...(await repositoryField(dir)),
      signal,
    });
    for (const [name, said] of inactiveUnlisted) {
      process.stderr.write(
        `Warning: ${escapeText(`the service would not list the inactive audiences of sandbox "${name}" (property=lifecycleState==inactive: ${said}); an audience deactivated in the UI shows as missing: import it with ${stateImportCommand('KEY', name, withManifestsDir(options.paste ?? NO_PASTE_FLAGS, dir))}`)}\n`,
      );
    }
    const others =
      sandbox === undefined
        ? undefined
        : otherSandboxesNote(desired, (await store.readAll()).audiences, sandbox, dir, options.paste);
    if (rows.length === 0) {
      const read = incomplete === undefined ? '' : ' read';
      say(
        others === undefined
          ? `Every manifest${read} already has a record: nothing to discover.`
          : `Every manifest${read} of sandbox "${sandbox}" already has a record: nothing to discover there.`,
      );
      if (incomplete !== undefined) say(incomplete);
      if (others !== undefined) say(others);
      return;
    }
    for (const line of table(rows)) say(line);
    const count = (outcome: DiscoverRow['outcome']) => rows.filter((row) => row.outcome === outcome).length;
    const verb = options.dryRun ? 'would be recorded (--dry-run: nothing written)' : 'recorded as imported';
    say('');
    say(
      `${count('matched')} matched and ${verb}, ${count('missing')} missing (the next apply creates them), ${count('ambiguous')} ambiguous (import each with --audience-id).${lookAlikeNote(count('look-alike'))}${waitingNote(count('waiting'), dir, options.paste)}`,
    );
    if (count('matched') > 0) say(NOT_COMPARED);
    for (const row of rows) if (row.notes) say(`${row.sandbox}/${row.key}: ${row.notes.join('; ')}.`);
    if (incomplete !== undefined) say(incomplete);
    if (others !== undefined) say(others);
  }
}
