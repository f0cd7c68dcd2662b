import { stat } from 'node:fs/promises';
import { refuseInterruptedSwap } from './dir-swap.js';
import { StateError, StateReadError, reasonOf } from './errors.js';
import { withoutStaleFormerRuns } from './current-runs.js';
import { newRecord, withoutBlocked } from './record-changes.js';
import type { AudienceRecord } from './schema.js';
import { recordId } from './record-id.js';
import type { StateStore } from './store.js';

/** Inspecting commands need an existing store: a mistyped --state must not look empty. */
export async function assertStateDir(dir: string, flag = '--state'): Promise<void> {
  try {
    if ((await stat(dir)).isDirectory()) return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      // Moved aside by a migrate killed mid-swap: say so, not "no state directory".
      await refuseInterruptedSwap(dir);
      throw new StateError(
        'STATE_NOT_FOUND',
        `no state directory at ${dir}; pass ${flag} <dir> to point at one`,
      );
    }
    throw new StateReadError('STATE_UNREADABLE', `cannot read state directory ${dir}: ${reasonOf(error)}`, {
      cause: error,
    });
  }
  throw new StateReadError(
    'STATE_UNREADABLE',
    `${dir} is not a directory; pass --state <dir> to point at one`,
  );
}

/** Sandboxes holding a record for `key`. */
export async function sandboxesWithKey(store: StateStore, key: string): Promise<string[]> {
  return (await store.list()).filter(([, k]) => k === key).map(([sandbox]) => sandbox);
}

export function notFound(dir: string, sandbox: string, key: string, elsewhere: string[]): StateError {
  const hint = elsewhere.length > 0 ? `; it exists in sandbox ${elsewhere.join(', ')}: pass --sandbox` : '';
  return new StateError('STATE_RECORD_NOT_FOUND', `no record for ${recordId(sandbox, key)} in ${dir}${hint}`);
}

export type ImportResult = { record: AudienceRecord; notes: string[] };

/**
 * Records that `key` is the existing remote audience `audienceId`: how a user repairs
 * an audience that "exists remotely, id unknown". Clears the blocked mark and resolves
 * a pending create intent with this audience (the create evidently happened). Refuses to re-point a record
 * at another audience unless `force`, since the old one would be left unmanaged.
 */
export async function importAudience(
  store: StateStore,
  target: {
    sandbox: string;
    key: string;
    audienceId: string;
    force: boolean;
    /** When the import happened, and the manifest's `ingestion.request` token then. */
    imported?: AudienceRecord['imported'];
    manifestFile?: string | undefined;
    /** Checks the id with the service, after the checks the store can make alone; throws to refuse. */
    verify?: () => Promise<void>;
    /**
     * The instant (epoch seconds, the runs' clock) at or before which a run of a deleted audience
     * no longer counts against the daily run budget, read once `verify` has run: such runs of a
     * record waiting for its create go when its audience is imported, as when a create is recorded.
     */
    budgetHorizon?: () => number;
  },
): Promise<ImportResult> {
  const { sandbox, key, audienceId, force } = target;
  const facts = {
    ...(target.imported === undefined ? {} : { imported: target.imported }),
    ...(target.manifestFile === undefined ? {} : { manifestFile: target.manifestFile }),
  };
  // One audience, one manifest: two keys on one id would PATCH it both ways and delete it twice.
  const owner = (await store.readAll()).audiences.find(
    (r) => r.audienceId === audienceId && (r.sandbox !== sandbox || r.key !== key),
  );
  if (owner) {
    throw new StateError(
      'STATE_IMPORT_DUPLICATE',
      `audience ${audienceId} is already recorded for ${recordId(owner.sandbox, owner.key)}; an audience belongs to one manifest (if it moved, \`audiencectl state forget ${owner.key} --sandbox ${owner.sandbox}\` first)`,
    );
  }
  const existing = await store.get(sandbox, key);
  const replacing = existing?.audienceId !== undefined && existing.audienceId !== audienceId;
  if (replacing && !force) {
    throw new StateError(
      'STATE_IMPORT_CONFLICT',
      `${recordId(sandbox, key)} already points at audience ${existing.audienceId}; pass --force to point it at ${audienceId} instead (audience ${existing.audienceId} is then no longer managed)`,
    );
  }
  await target.verify?.();
  const notes: string[] = [];
  if (existing?.blocked) notes.push(`cleared the blocked mark (${existing.blocked.code})`);
  if (replacing) {
    // What was recorded (applied spec, runs, operation, intent) describes the old audience.
    notes.push(`forgot what was recorded about audience ${existing.audienceId}`);
    if (existing.intent) await store.resolveIntent(existing, { kind: 'remove' });
    const fresh = { ...newRecord(sandbox, key, existing.deletionPolicy), audienceId, ...facts };
    return { record: await store.put(fresh), notes };
  }
  // Imported into a record waiting for its create: what a recorded create drops goes.
  const runs =
    existing?.audienceId === undefined && existing !== undefined && target.budgetHorizon
      ? { runs: withoutStaleFormerRuns(existing.runs, target.budgetHorizon()) }
      : {};
  if (existing?.intent?.kind === 'create') {
    notes.push(`resolved the pending create intent from ${existing.intent.startedAt} with this audience`);
    // The create the intent sent is answered by this audience: nothing is left to resume. One
    // write: the audience id never stands beside the deleted audience's spec (withoutMark).
    const answered = withoutMark(withoutBlocked({ ...existing, audienceId, ...facts, ...runs }));
    delete answered.pendingCreate;
    const resolved = await store.resolveIntent(existing, { kind: 'replace', record: answered });
    if (resolved) return { record: resolved, notes };
  }
  const base = existing ?? newRecord(sandbox, key);
  // Importing the id a record already has changes nothing it knows about the audience.
  const known = existing?.audienceId === audienceId ? {} : facts;
  const imported = existing?.audienceId === undefined ? withoutMark(base) : base;
  return { record: await store.put({ ...withoutBlocked(imported), audienceId, ...known, ...runs }), notes };
}

/**
 * A record without an audience id holds `applied` only as the mark of the name its replace
 * deleted an audience under (keptByReplace, heldUnlisted): what was applied to that deleted
 * audience, not to the one imported. Kept, the plan would diff the manifest against it, find
 * the change that made the replace, and replace (delete) the audience just imported.
 */
function withoutMark(record: AudienceRecord): AudienceRecord {
  const rest = { ...record };
  delete rest.applied;
  return rest;
}
