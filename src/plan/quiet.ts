import type { LoadResult } from '../manifest/load.js';
import { audienceLooksKey, audienceNameKey } from '../manifest/duplicates.js';
import { specName } from '../manifest/spec-hash-memo.js';
import { rerecordsRepository, rerooted } from '../manifest/source-root.js';
import { recordId } from '../state/record-id.js';
import type { RecordedState } from '../state/schema.js';
import { plan, type PlanOptions } from './plan.js';
import type { Plan } from './schema.js';

/**
 * An audience whose manifest and record were both served by the caches (the manifest cache's
 * line of an unchanged file, the state snapshot's line of an unchanged record) and found in
 * sync from those lines alone, so that neither was made into an object: a `DesiredManifest` of
 * one file that holds one manifest and nothing else (no diagnostic, note or salvaged key), no
 * adoption and no ingestion but `onCreate: false`; an `AudienceRecord` with an audience id,
 * the manifest's spec hash applied, the same deletion policy and file (or none), and nothing
 * else (no run, intent, block, refused PATCH, unknown after a PATCH, import or observed part).
 * What `inSync` reads of the pair, bar the two options a plan knows only after the load (the
 * directory and the repository), was decided; those two are here to be compared.
 */
export type QuietAudience = {
  sandbox: string;
  key: string;
  /** spec.name: printable ASCII without a doubled space (duplicates.ts looksAsWritten). */
  name: string;
  /** The manifest's file (relative to the directory read), which its record names or none. */
  file: string;
  /** The record's audience id. */
  audienceId: string;
  /** The record's `sourceRoot` and `repository`, as recorded. */
  sourceRoot: string | undefined;
  repository: string | undefined;
};

/**
 * The kinds of step a plan of the rest may have and still leave the quiet pairs out. A create,
 * replace or removal reads the whole set in two places, both given what they need of the pairs:
 * the deletion guards count the manifests and managed audiences (PlanOptions.quietPairs), and
 * guardRecordedNames blocks a create or replace whose spec.name another record holds: a quiet
 * record's name is its manifest's (their spec hashes equal), which no manifest of the rest shares
 * (the duplicate check below), so no quiet record blocks or frees a step of the rest. What
 * decides a removal or move of a record of the rest is checked below.
 */
const OWN_KINDS: ReadonlySet<string> = new Set([
  'update',
  'run',
  'create',
  'replace',
  'delete',
  'forget',
  'move',
]);

/**
 * The plan of `rest` (the manifests and records made into objects) and `quiet` (the pairs in
 * sync per the caches), which equals `plan` of them all made into objects: or undefined when
 * that cannot be told cheaply, and the caller makes every quiet pair an object and plans them
 * all (today's path). A quiet pair makes no step and no diagnostic of its own; it matters to a
 * plan only through the whole set, which is why the fast path is taken only when nothing reads
 * the whole set in a way the pairs could change:
 * - nothing that reads the service or another tree (--refresh, a late DELETE's read, an
 *   adoption, runs read again, --base, manifests found elsewhere but the commits that removed
 *   files, --include/--exclude);
 * - no record of the rest without its manifest in the rest (removed, moved) has an audience a
 *   quiet record has, a quiet pair's key (in any sandbox), or no audience at all (what
 *   `leftoverRecords` reads of the whole set for it);
 * - no quiet pair shares a key, or a name as it looks, with another manifest of its sandbox
 *   (`findDuplicates`);
 * - no quiet record would be given the directory or repository planned (`inSync`);
 * - the rest's plan has only steps of OWN_KINDS, and holds nothing.
 */
export function planQuiet(
  rest: LoadResult,
  restState: RecordedState,
  quiet: readonly QuietAudience[],
  options: PlanOptions,
): Plan | undefined {
  if (quiet.length === 0) return plan(rest, restState, options);
  if (
    options.refresh !== undefined ||
    options.lateDeletes !== undefined ||
    options.adopt === true ||
    options.adoptView !== undefined ||
    options.runsRead !== undefined ||
    options.unreadBase !== undefined ||
    options.scope !== undefined ||
    // Which commit removed a record's file (its removal step says it) is all it may be told.
    options.elsewhere?.some((m) => m.kind !== 'removed-in') === true
  )
    return undefined;
  const ids = new Set<string>();
  const names = new Set<string>();
  for (const q of quiet) {
    if (rerooted(q.sourceRoot, options.sourceRoot)) return undefined;
    if (rerecordsRepository(q.repository, options.repository)) return undefined;
    // Added, then counted: a pair whose id or name is already there leaves its set's size as
    // it was. One lookup of each string, not two: these loops run once, cold, over every pair.
    const size = ids.size;
    ids.add(recordId(q.sandbox, q.key));
    names.add(`${q.sandbox}\u0000${audienceNameKey(q.name)}`);
    if (ids.size === size || names.size === size) return undefined;
  }
  const restIds = new Set<string>();
  for (const m of rest.manifests) {
    const id = recordId(m.sandbox, m.key);
    if (ids.has(id)) return undefined;
    // As findDuplicates compares them: as the service does, and as they look.
    const name = specName(m.manifest);
    if (names.has(`${m.sandbox}\u0000${audienceNameKey(name)}`)) return undefined;
    if (names.has(`${m.sandbox}\u0000${audienceLooksKey(name)}`)) return undefined;
    restIds.add(id);
  }
  // A held key (a file with errors, a duplicate) of a quiet pair's: its file may be the one.
  for (const h of rest.held) if (ids.has(recordId(h.sandbox, h.key))) return undefined;
  // Read only for a record of the rest without its manifest there (a removal or move): a plan
  // with none (no change, or changes only) does not make them.
  let ofQuiet: { keys: ReadonlySet<string>; audienceIds: ReadonlySet<string> } | undefined;
  for (const r of restState.audiences) {
    const id = recordId(r.sandbox, r.key);
    if (ids.has(id)) return undefined;
    if (restIds.has(id)) continue;
    // A record no manifest of the rest holds (leftoverRecords): what decides between its
    // removal, move and hold reads of the whole set the manifests of its key in any sandbox (a
    // move; its file still naming it: still-named.ts), the records of its audience (a shared
    // audience), and, for a record of no audience, the records of its operation (removal-step.ts
    // carriedTo; a quiet record's line skips its operation id). (A stray record's hold reads the
    // manifest its file holds: any hold ends the quiet path below.)
    if (r.audienceId === undefined) return undefined;
    ofQuiet ??= keysAndAudiences(quiet);
    if (ofQuiet.audienceIds.has(r.audienceId) || ofQuiet.keys.has(r.key)) return undefined;
  }
  const result = plan(rest, restState, { ...options, quietPairs: quiet.length });
  if (result.held.length > 0) return undefined;
  for (const step of result.steps)
    if (!OWN_KINDS.has(step.kind) || step.goneAudienceId !== undefined) return undefined;
  return result;
}

/** The quiet pairs' keys (in any sandbox) and audiences. */
function keysAndAudiences(quiet: readonly QuietAudience[]): {
  keys: ReadonlySet<string>;
  audienceIds: ReadonlySet<string>;
} {
  const keys = new Set<string>();
  const audienceIds = new Set<string>();
  for (const q of quiet) {
    keys.add(q.key);
    audienceIds.add(q.audienceId);
  }
  return { keys, audienceIds };
}
