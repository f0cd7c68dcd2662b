import { compareText } from '../../text/compare.js';
import { envSandbox } from '../sandbox-option.js';
import { escapeText } from '../../text/safe-text.js';
import {
  describeRunFailure,
  lastRunFailure,
  lastRunStatus,
  recordStatus,
  runsOnlyNote,
} from '../../state/describe.js';
import { assertStoredKey, recordId, strayIdRefusal, strayIdText } from '../../state/record-id.js';
import { assertStateDir, notFound, sandboxesWithKey } from '../../state/repair.js';
import { StateError } from '../../state/errors.js';
import {
  describeEndedWrite,
  describeTakeover,
  describeWait,
  describeWatch,
  describeGuardLeft,
} from '../../state/lock-holder.js';
import type { LockOptions } from '../../state/lock.js';
import type { AudienceRecord } from '../../state/schema.js';
import type { StateStore } from '../../state/store.js';
import type { StateLocation } from '../../state/location.js';
import { openStoreFor, stateLocationOf, type StateFlags } from '../state-options.js';
import { forgetCommand, pastedFlags, type PasteFlags } from '../../text/paste-flags.js';

// `audiencectl state list` and `state show`: what the store recorded, read without the lock.

export type StateOptions = StateFlags;
export type SandboxOptions = StateOptions & {
  sandbox?: string;
  /** The flags the commands this command prints carry (src/text/paste-flags.ts). */
  paste?: PasteFlags;
};

/** Records quote manifest values and the service's answers: shown escaped. */
export function out(text: string): void {
  process.stdout.write(`${escapeText(text, { keepLineBreaks: true })}\n`);
}

/**
 * `--sandbox` (the configuration file's `defaultSandbox` when not typed: the command's hook,
 * state.ts), else AEP_SANDBOX; `undefined` when none names one.
 */
export function explicitSandbox(options: SandboxOptions): string | undefined {
  return options.sandbox ?? envSandbox(process.env);
}

/** explicitSandbox, else `prod`. */
export function sandboxOf(options: SandboxOptions): string {
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

/** Opens an existing store for reading: a mistyped directory must not look like an empty store. */
export async function openExisting(
  options: StateOptions,
  /** Where the options name, when already resolved. */
  location?: StateLocation,
): Promise<StateStore> {
  location ??= await stateLocationOf(options);
  if (location.kind === 'dir') await assertStateDir(location.dir);
  return openStoreFor(options, location);
}

async function withStore<T>(
  options: StateOptions,
  fn: (store: StateStore) => Promise<T>,
  /** Where the options name, when already resolved. */
  location?: StateLocation,
): Promise<T> {
  const store = await openExisting(options, location);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** An empty list, and with a filter what it left out: "none" must not read as an empty store. */
function nothingListed(
  location: string,
  sandbox: string | undefined,
  all: readonly { sandbox: string }[],
): string {
  if (sandbox === undefined || all.length === 0) return `No audiences recorded in ${location}.`;
  const others = [...new Set(all.map((record) => record.sandbox))].sort(compareText);
  return `No audiences recorded for sandbox ${sandbox} in ${location}; it holds ${all.length} in other sandboxes: ${others.join(', ')}.`;
}

export async function list(options: SandboxOptions & { json?: boolean }): Promise<void> {
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
    out(nothingListed(store.location, options.sandbox, state.audiences));
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
  // A runs-only record names no audience: counted apart (the line below says what it is).
  const runsOnly = audiences.filter((r) => runsOnlyNote(r) !== undefined).length;
  const named = audiences.length - runsOnly;
  const apart =
    runsOnly === 0 ? '' : ` (and ${runsOnly} record${runsOnly === 1 ? '' : 's'} of runs only, below)`;
  out(`\n${named} audience${named === 1 ? '' : 's'}${apart}${meta}.`);
  const blocked = audiences.filter((r) => r.blocked).length;
  if (blocked > 0) {
    out(
      `${blocked} blocked: \`audiencectl state show KEY${pastedFlags(options.paste, 'state')}\` says why; \`state import\` repairs an unknown id.`,
    );
  }
  if (runsOnly > 0) {
    out(
      `${runsOnly} name${runsOnly === 1 ? 's' : ''} no audience, only runs of deleted or forgotten audiences kept for the daily run budget: \`audiencectl state show KEY${pastedFlags(options.paste, 'state')}\` says until when.`,
    );
  }
  for (const note of strayNotes(audiences, options.paste)) out(note);
}

/**
 * What list says of each record under an id no manifest can have (`Bad Key`, strayIdText): listed
 * as any other, it was not written by audiencectl, which holds it, and only forget drops it.
 */
function strayNotes(audiences: readonly AudienceRecord[], paste: PasteFlags | undefined): string[] {
  return audiences
    .filter((r) => strayIdText(r.sandbox, r.key) !== undefined)
    .map(
      (r) =>
        `${recordId(r.sandbox, r.key)} is under a sandbox or key no manifest can have: not written by audiencectl, plan and apply hold it; \`${forgetCommand(r.key, r.sandbox, paste)}\` drops it.`,
    );
}

export async function show(key: string, options: SandboxOptions): Promise<void> {
  // Before the store is opened, as a key given is refused whatever the store (a database that
  // does not exist was said first, and the key only once that was mended); a key no manifest
  // can have but a record can be stored under is looked for (a record made outside audiencectl).
  const location = await stateLocationOf(options);
  assertStoredKey(key, location.kind);
  await withStore(options, (store) => showIn(store, key, options), location);
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
  // An id no manifest can have (`Bad Key`): shown when the store lists a record under exactly
  // it, as `state forget` drops it then; refused as before otherwise ('BAD KEY' for 'Bad Key').
  const refused = strayIdRefusal(sandbox, key);
  if (refused !== undefined && !holders.includes(sandbox)) throw refused;
  const record =
    refused === undefined ? await store.get(sandbox, key) : await strayRecord(store, sandbox, key);
  if (!record) throw notFound(store.location, sandbox, key, holders);
  out(JSON.stringify(record, null, 2));
  // On standard error, so the JSON on standard output stays parseable.
  const failure = lastRunFailure(record);
  if (failure) process.stderr.write(`Last ${escapeText(describeRunFailure(failure))}.\n`);
  const runsOnly = runsOnlyNote(record, options.paste);
  if (runsOnly) process.stderr.write(`${escapeText(runsOnly)}\n`);
}

/**
 * The record listed under `sandbox`/`key`, an id no manifest can have: `get` takes a manifest's
 * id only, so it is found among all the records (a read as long as plan's, for a rare record).
 */
async function strayRecord(
  store: StateStore,
  sandbox: string,
  key: string,
): Promise<AudienceRecord | undefined> {
  const { audiences } = await store.readAll();
  return audiences.find((record) => record.sandbox === sandbox && record.key === key);
}

/**
 * How a `state` command waits for `store`'s lock: saying on stderr that it waits (it was silent)
 * or watches a stale lock; `signal` (a command's Ctrl-C) ends the wait at once, holding nothing
 * (STATE_LOCK_WAIT_STOPPED), rather than after --lock-timeout.
 */
export function commandLockOptions(
  store: StateStore,
  timeoutMs: number,
  command: string,
  signal?: AbortSignal,
): LockOptions {
  return {
    timeoutMs,
    command,
    signal,
    onWait: (holder) =>
      process.stderr.write(`${escapeText(describeWait(holder, timeoutMs, store.location))}\n`),
    onWatch: (holder, watchMs, ageMs) => process.stderr.write(`${describeWatch(holder, watchMs, ageMs)}\n`),
    onGuard: (guard) => process.stderr.write(`${describeGuardLeft(guard)}\n`),
  };
}

/**
 * Locks `store` for a `state` command (commandLockOptions), saying when it takes over a stale lock.
 * `nameStore`: for a command of two stores (state migrate), each line says which store it is of.
 */
export async function lockForCommand(
  store: StateStore,
  timeoutMs: number,
  command: string,
  signal?: AbortSignal,
  nameStore = false,
): Promise<void> {
  const info = await store.lock(commandLockOptions(store, timeoutMs, command, signal));
  const of = nameStore ? `${escapeText(store.location)}: ` : '';
  if (info.tookOver) process.stderr.write(`${of}${describeTakeover(info.tookOver)}\n`);
  for (const session of info.endedWrites ?? []) process.stderr.write(`${of}${describeEndedWrite(session)}\n`);
}
