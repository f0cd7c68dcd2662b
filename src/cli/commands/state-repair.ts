import { sourceRootOf } from '../../manifest/read-source-root.js';
import { repositoryField } from '../../source/work-tree-repository.js';
import { UsageError } from '../../errors.js';
import { systemClock } from '../../apply/clock.js';
import { budgetHorizon, removeOrReplace } from '../../apply/record-helpers.js';
import { closestKey } from '../../manifest/suggest.js';
import { assertValidId, strayIdRefusal } from '../../state/record-id.js';
import { importAudience, notFound, sandboxesWithKey } from '../../state/repair.js';
import { PreviewStore } from '../../state/preview-store.js';
import { StateError } from '../../state/errors.js';
import { CONNECT_STOPPED } from '../../state/pg/connect-stopped.js';
import { holdsOnlyFormerRuns, runsOnlyRemnant } from '../../state/current-runs.js';
import { untilText } from '../../state/describe.js';
import type { AudienceRecord } from '../../state/schema.js';
import { recordId } from '../../state/record-id.js';
import type { StateStore } from '../../state/store.js';
import { locateState, openStoreFor } from '../state-options.js';
import { manifestFacts, type ManifestFacts } from '../import-manifest.js';
import type { ConnectFlags } from '../connect.js';
import { importConnection, verifiedImport } from '../import-verify.js';
import { runsCountNow } from '../../apply/import-runs-count.js';
import { importRevision } from '../import-revision.js';
import { firstRunNotStarted, importRunNote } from '../import-run-note.js';
import { keptElsewhere } from '../import-kept.js';
import { escapeText, quoted } from '../../text/safe-text.js';
import type { OrgOf } from '../../state/org-binding.js';
import { requireStateStore } from '../../state/presence.js';
import { manifestSandboxOf } from '../manifest-sandbox.js';
import { lockForCommand, openExisting, out, sandboxOf, type SandboxOptions } from './state-read.js';
import {
  FINISHING_WRITE_MESSAGE,
  fenceWrites,
  StateCommandInterrupted,
  readingStderr,
  stateCommandStop,
  watchStateCommand,
  type StateCommandStop,
} from '../state-interrupt.js';
import {
  forgetCommand,
  stateImportCommand,
  manifestsDirNote,
  type PasteFlags,
} from '../../text/paste-flags.js';

// `audiencectl state import <key>` and `state forget`: repairs, under the store's lock.

/** `lockTimeout` in milliseconds. */
export type LockingOptions = SandboxOptions & { lockTimeout: number };

/**
 * Opens the store under its lock, runs `fn`, always lets go. With `orgOf` (a command that
 * calls AEP) a store of another org is refused and a first write binds it.
 *
 * Ctrl-C or SIGTERM (the first) ends a wait for the lock (STATE_LOCK_WAIT_STOPPED, exit 1, as
 * apply's) and the calls to AEP `fn` gives `signal`; before the first write, the command stops
 * with nothing changed (STATE_COMMAND_INTERRUPTED, 130 or 143); once writing, it finishes, and
 * says what it did (a second signal stops it at once). Its lock is let go either way.
 */
export async function withLock<T>(
  options: LockingOptions,
  command: string,
  fn: (store: StateStore, signal: AbortSignal) => Promise<T>,
  orgOf?: OrgOf,
  /** Watched from the command's start (stateCommandStop); else from here, and let go here. */
  watched?: StateCommandStop,
) {
  const stop = watched ?? watchStateCommand();
  try {
    const store = await openStoreFor(options);
    const stopped = () => new StateCommandInterrupted(stop.received() ?? 'SIGINT', store.location);
    // Closed on a refused lock too: a PostgreSQL store's open connections would keep the
    // process alive for the pool's idle time after the refusal was printed.
    try {
      if (orgOf) store.useOrgs(orgOf);
      if (stop.signal.aborted) throw stopped();
      await lockForCommand(store, options.lockTimeout, `audiencectl state ${command}`, stop.signal).catch(
        (error: unknown) => {
          // Stopped while a PostgreSQL store still connected: before the lock, nothing done.
          if (error instanceof StateError && error.code === CONNECT_STOPPED) throw stopped();
          throw error;
        },
      );
      const fenced = fenceWrites(store, stop, stopped);
      // A signal that comes once it writes is not lost on the user: it finishes, and says so.
      stop.signal.addEventListener(
        'abort',
        () => {
          if (fenced.begun()) process.stderr.write(`${FINISHING_WRITE_MESSAGE}\n`);
        },
        { once: true },
      );
      let done: T;
      try {
        done = await fn(fenced.store, stop.signal);
      } catch (error) {
        // A call the signal ended, or what it refused for it: the command was stopped, no more.
        if (stop.signal.aborted && !fenced.begun()) throw stopped();
        throw error;
      }
      // Stopped with nothing written (a --dry-run): what it says may be cut short.
      if (stop.signal.aborted && !fenced.begun()) throw stopped();
      return done;
    } finally {
      await store.close();
    }
  } finally {
    if (watched === undefined) stop.dispose();
  }
}

/** Audience ids are UUIDs (the reference page's samples, and what the service returns). */
const AUDIENCE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A key no manifest of `dir` names (and no broken file may name): recorded, its audience
 * would be deleted by the next apply as a removed manifest. Most likely a typo, or the
 * wrong directory (the default `.`); only --without-manifest records it anyway.
 */
function noManifest(
  key: string,
  sandbox: string,
  dir: string,
  audienceId: string,
  { otherKeys: known = [], otherSandboxes = [] }: ManifestFacts,
  paste: PasteFlags | undefined,
): UsageError {
  const close = closestKey(key, known);
  let found = '';
  if (otherSandboxes.length > 0)
    found = ` (its manifest is in sandbox ${otherSandboxes.map((name) => `"${name}"`).join(', ')}: pass --sandbox)`;
  else if (close !== undefined) found = ` (did you mean "${close}"?)`;
  else if (known.length === 0)
    found = ` (it holds no manifest of sandbox "${sandbox}": give the manifests' directory: \`${stateImportCommand(key, sandbox, paste, audienceId)}\`${manifestsDirNote(paste)})`;
  return new UsageError(
    'STATE_IMPORT_NO_MANIFEST',
    `no manifest in ${dir} names ${recordId(sandbox, key)}${found}; nothing was imported: recorded without a manifest, the audience would be deleted by the next apply (--without-manifest records it anyway, for that)`,
  );
}

type ImportOptions = LockingOptions &
  ConnectFlags & {
    audienceId: string;
    force?: boolean;
    /** Record a key no manifest names: the next apply deletes its audience. */
    withoutManifest?: boolean;
    /** Check and say everything, the record it would write included, and record nothing (PreviewStore). */
    dryRun?: boolean;
  };

/** `audiencectl state import <key> [dir] --audience-id <id>`, its signals watched from its start. */
export function importCommand(key: string, dir: string, options: ImportOptions): Promise<void> {
  return stateCommandStop(options, (stop, reading) => importWatched(key, dir, options, stop, reading));
}

async function importWatched(
  key: string,
  dir: string,
  options: ImportOptions,
  stop: StateCommandStop,
  reading: <R>(work: Promise<R>) => Promise<R>,
): Promise<void> {
  // The sandbox of the manifests read: as plan and apply place a manifest that names none.
  const sandbox = await manifestSandboxOf(options);
  assertValidId(sandbox, key);
  if (!AUDIENCE_ID.test(options.audienceId)) {
    throw new StateError(
      'STATE_BAD_AUDIENCE_ID',
      `--audience-id ${quoted(options.audienceId)} is not an audience id: AEP audience ids are UUIDs such as 60ccea95-1435-4180-97a5-58af4aa285ab`,
    );
  }
  // Read before the lock, given up at the first signal (nothing written yet).
  const say = readingStderr(stop);
  const { facts, revision } = await reading(
    (async () => {
      // Said as the location was given (`state:` in a configuration file, say), as apply says it.
      const located = await locateState(options);
      await requireStateStore(located.location, options.paste, located.from);
      const found = await manifestFacts(dir, sandbox, key);
      if (found.otherKeys && !options.withoutManifest)
        throw noManifest(key, sandbox, dir, options.audienceId, found, options.paste);
      const head = await importRevision(dir, (text) => say(`Warning: ${escapeText(text)}`), stop.signal);
      return { facts: found, revision: head };
    })(),
  );
  let verification = '';
  const at = new Date().toISOString();
  // Not raced: what it opens (the embedded emulator) is closed after the lock, whatever happens.
  const connection = await importConnection(options);
  const { record, notes, origin, kept } = await withLock(
    options,
    'import',
    async (locked, signal) => {
      // Under the lock all the same: what it says is what an import would do now.
      const store = options.dryRun ? new PreviewStore(locked) : locked;
      return {
        ...(await importAudience(store, {
          paste: options.paste,
          sandbox,
          key,
          audienceId: options.audienceId,
          force: options.force === true,
          imported: {
            at,
            ...(facts.ingestionRequest === undefined ? {} : { ingestionRequest: facts.ingestionRequest }),
            ...(revision === undefined ? {} : { revision }),
            ...(facts.name === undefined ? {} : { name: facts.name }),
            // Checked by the first apply that calls AEP, before it PATCHes or runs it.
            ...(connection === undefined ? { unverified: true as const } : {}),
          },
          manifestFile: facts.manifestFile,
          sourceRoot: sourceRootOf(dir),
          ...(await repositoryField(dir)),
          // AEP's clock as the verification's answer showed it, else the local one.
          budgetHorizon: () => budgetHorizon({ clock: systemClock, client: connection?.client ?? {} }),
          // After the store's own checks: an id recorded for another key is refused without a call.
          verify: async () => {
            const verified = await verifiedImport(
              connection,
              {
                sandbox,
                key,
                audienceId: options.audienceId,
                name: facts.name,
                namespace: facts.namespace,
              },
              signal,
            );
            verification = verified.line;
            if (!verified.shown || !connection) return verified.shown;
            const count = await runsCountNow(connection.client, sandbox, options.audienceId, signal);
            if (count === undefined) return verified.shown;
            return { ...verified.shown, runsCounted: { count, at: new Date().toISOString() } };
          },
        })),
        kept: await keptElsewhere(store, sandbox, key, facts, dir, options.paste),
      };
    },
    connection && ((name) => connection.client.orgOf(name)),
    stop,
  ).finally(() => connection?.close());
  if (options.dryRun)
    out(
      `Would import ${recordId(sandbox, key)}: audience ${record.audienceId ?? '?'} (--dry-run: nothing recorded; what the import would do follows).`,
    );
  else out(`Imported ${recordId(sandbox, key)}: audience ${record.audienceId ?? '?'}.`);
  for (const line of kept) process.stderr.write(`Warning: ${escapeText(line)}\n`);
  for (const note of notes) out(`  - ${note}`);
  out(`  - ${verification}`);
  // What the Audiences API cannot show is not checked; its own create sent the manifest's.
  if (origin !== 'own' && facts.desired) out(`  - ${NOT_COMPARED}`);
  // An audience of its own create records the commit as an apply does (applied), else as imported.
  const recorded = origin === 'own' ? record.applied?.revision : record.imported?.revision;
  if (revision !== undefined && recorded?.commit === revision.commit)
    out(
      `  - recorded with commit ${revision.commit.slice(0, 7)} (HEAD of ${dir}): an apply from a checkout without it will not delete this audience or PATCH it back (unless --allow-older-checkout)`,
    );
  if (facts.note) out(`  - ${facts.note}`);
  else if (facts.desired) {
    const runs = importRunNote(record, origin, facts.desired, Date.now());
    if (runs !== undefined) out(`  - ${runs}`);
    const first = firstRunNotStarted(origin, facts.desired);
    if (first !== undefined) out(`  - ${first}`);
  }
}

/** What an import cannot check, and what follows when the fields differ (docs/state.md, Repair recipes). */
const NOT_COMPARED =
  "not compared (the Audiences API does not show them): its fields, sourceSpec and tags, which must be the manifest's; where its fields differ, AEP refuses the first apply's PATCH and the update is blocked until the manifest changes";

/** `audiencectl state forget <key>`, its signals watched from its start. */
export function forget(key: string, options: LockingOptions): Promise<void> {
  return stateCommandStop(options, (stop, reading) => forgetWatched(key, options, stop, reading));
}

async function forgetWatched(
  key: string,
  options: LockingOptions,
  stop: StateCommandStop,
  reading: <R>(work: Promise<R>) => Promise<R>,
): Promise<void> {
  await reading(openExisting(options).then((store) => store.close()));
  const sandbox = sandboxOf(options);
  // An id no manifest can have is refused, unless the store lists a record under exactly that
  // id (looked up under the lock): one made outside audiencectl, which plan and apply hold and
  // never write, and which only this command drops (no more than drops: nothing is kept).
  const refused = strayIdRefusal(sandbox, key);
  const { record, kept } = await withLock(
    options,
    'forget',
    async (store): Promise<{ record: AudienceRecord | undefined; kept: AudienceRecord | undefined }> => {
      if (refused !== undefined) {
        const listed = (await store.list()).some(([s, k]) => s === sandbox && k === key);
        const removal = listed ? await store.deleteStray?.(sandbox, key) : undefined;
        if (!removal?.removed) throw refused;
        return { record: removal.record, kept: undefined };
      }
      // Read leniently: forgetting is also how a corrupt record is dropped. Only a corrupt one:
      // a record that cannot be read (no permission, a database timeout) was deleted as if
      // damaged, its audience unnamed and its runs' remnant lost.
      const before = await store.get(sandbox, key).catch((error: unknown) => {
        if (error instanceof StateError && error.code === 'STATE_CORRUPT') return undefined;
        throw error;
      });
      // Forgetting an audience does not un-start its runs: those that still count against the
      // sandbox's daily run budget stay, as a runs-only record (the local clock: no AEP is asked).
      // A runs-only record itself is dropped: that is how one goes at once.
      const remnant =
        before === undefined || holdsOnlyFormerRuns(before)
          ? undefined
          : runsOnlyRemnant(before, budgetHorizon({ clock: systemClock, client: {} }));
      if (before !== undefined && remnant !== undefined) {
        await removeOrReplace(store, before, remnant);
        return { record: before, kept: remnant };
      }
      if (!(await store.delete(sandbox, key))) {
        const elsewhere = (await sandboxesWithKey(store, key)).filter((s) => s !== sandbox);
        throw notFound(store.location, sandbox, key, elsewhere);
      }
      return { record: before, kept: undefined };
    },
    undefined,
    stop,
  );
  const former = record?.runs.filter((run) => run.formerAudienceId !== undefined).length ?? 0;
  const runs = `${former === 1 ? '1 run' : `${former} runs`} of deleted or forgotten audiences`;
  if (record !== undefined && holdsOnlyFormerRuns(record)) {
    // It named no audience and no manifest: nothing remote to leave alone, nothing to import back.
    out(
      `Forgot ${recordId(sandbox, key)}: it named no audience, only ${runs}, which no longer count${former === 1 ? 's' : ''} against sandbox ${sandbox}'s daily run budget.`,
    );
    return;
  }
  out(`Forgot ${recordId(sandbox, key)}${audienceNote(record)}. The remote audience is untouched.`);
  if (record?.intent) {
    out(
      `It had a pending ${record.intent.kind} intent from ${record.intent.startedAt}: that call may have changed the remote audience.`,
    );
  }
  if (kept !== undefined) out(keptRunsNote(kept, options.paste));
  if (refused !== undefined)
    out(
      `No manifest can name ${recordId(sandbox, key)}: to manage its audience again, \`audiencectl state import\` it under its manifest's key.`,
    );
  else
    out(
      `While its manifest exists, the next apply will try to create it again; remove the manifest, or \`state import\` it back.`,
    );
}

/** What `state forget` says of the runs it kept as a runs-only record (runsOnlyRemnant). */
function keptRunsNote(kept: AudienceRecord, paste: PasteFlags | undefined): string {
  const { sandbox, key } = kept;
  const count = kept.runs.length === 1 ? 'run' : 'runs';
  const until = untilText(kept);
  return `Its ${kept.runs.length} ${count} begun in the last 24 hours stay${kept.runs.length === 1 ? 's' : ''} under ${recordId(sandbox, key)} as a record of runs only: forgetting does not undo them, and they count against sandbox ${sandbox}'s daily run budget until ${until} (an apply then drops the record; \`${forgetCommand(key, sandbox, paste)}\` again drops it now).`;
}

function audienceNote(record: AudienceRecord | undefined): string {
  return record?.audienceId ? ` (audience ${record.audienceId})` : '';
}
