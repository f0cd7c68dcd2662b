import { SUBMODULE_NOT_CHECKED_OUT, SUBMODULE_STALE, SYMLINK_NOT_FOLLOWED } from '../manifest/diagnostics.js';
import { sameRepository } from '../manifest/source-root.js';
import { audienceNameKey } from '../manifest/duplicates.js';
import type { DesiredManifest, LoadResult } from '../manifest/load.js';
import { holdsAudienceRecord, holdsOnlyFormerRuns } from '../state/current-runs.js';
import type { AudienceRecord } from '../state/schema.js';
import { recordId } from '../state/record-id.js';
import { specName } from '../manifest/spec-hash-memo.js';
import { elsewhereReason, namesKey, type ManifestElsewhere, type RemovedIn } from './elsewhere.js';
import type { HeldAudience, Step } from './schema.js';
import { carries, waitingName } from './waiting-move.js';
import { changedStep, moveStep, renameStep } from './move-steps.js';
import { removalStep } from './removal-step.js';
import { stillNamedElsewhere, stillNamedReason } from './still-named.js';
import type { PasteFlags } from '../text/paste-flags.js';
import { holdsNoAudience } from '../state/waiting.js';
import { leftOutByFilters } from './filter-words.js';
import { groupBy } from './group-by.js';
import { sharedAudienceReason } from './shared-audience.js';
import { strayRecordReason } from './stray-record.js';

/**
 * The part of the recorded state a plan with `--include`/`--exclude` covers: the
 * records whose manifest file those filters read. Built by the caller (it knows the
 * globs' dialect); the planner only asks it.
 */
export type PlanScope = {
  include: readonly string[];
  exclude: readonly string[];
  /** True when the filters read `file` (relative to the source root). */
  covers: (file: string) => boolean;
};

/** keptBy: the record is outside the plan's --include/--exclude. */
const OUTSIDE = Symbol('outside');

/** What a folder (or file) that was not read is, by the rule of its warning; else a symlink not followed. */
const UNREAD_WHAT: Readonly<Record<string, string>> = {
  [SUBMODULE_NOT_CHECKED_OUT]: 'a git submodule that is not checked out',
  [SUBMODULE_STALE]: 'a git submodule checked out at another commit than the work tree records',
};

/** What becomes of the records no manifest of this plan matches. */
export type Leftovers = {
  removals: Step[];
  moves: Step[];
  held: HeldAudience[];
  /** Desired ids whose record is in another sandbox: their create is the move's. */
  moveTargets: Set<string>;
  /**
   * Desired ids whose create takes a record waiting for its create with it (its manifest's
   * metadata.name or sandbox changed; waiting-move.ts, carries): that record, by desired id.
   */
  carried: Map<string, AudienceRecord>;
  /** Records outside the plan's scope, left alone. */
  outside: number;
  /** Records holding only runs of deleted audiences (holdsOnlyFormerRuns), left alone: no audience. */
  remnants: number;
  /** Records of other repositories than the one planned (ofOtherRepository), by repository: left alone. */
  otherRepositories: Map<string, number>;
  /**
   * Records held because a manifest the plan did not read may name them (another directory's,
   * one above the directory given, a file left out: elsewhere.ts), its own file being written
   * aside: not this plan's to remove.
   */
  heldElsewhere: number;
};

/**
 * The repository a record no manifest of this plan matches was applied from, when the plan
 * knows its own and that is another: two repositories sharing the store, each with a directory
 * of the same name (`audiences/`); or a path that differs from the plan's by a prefix whose
 * marks record another history (`distinct`: other-histories.ts, GitLab subgroups). Such a
 * record is not this plan's: its manifest may well be in that repository still, so it is
 * neither removed, nor moved, nor held here.
 */
function ofOtherRepository(
  record: AudienceRecord,
  planned: string | undefined,
  distinct: ReadonlySet<string>,
): string | undefined {
  const { repository } = record;
  if (planned === undefined || repository === undefined) return undefined;
  return !sameRepository(repository, planned) || distinct.has(repository) ? repository : undefined;
}

/** Desired manifests without a record, by audience name (as the service compares names), in every sandbox. */
function unrecordedByName(
  desired: LoadResult,
  records: ReadonlyMap<string, AudienceRecord>,
): Map<string, DesiredManifest[]> {
  return groupBy(desired.manifests, (manifest) =>
    holdsAudienceRecord(records, recordId(manifest.sandbox, manifest.key))
      ? undefined
      : audienceNameKey(specName(manifest.manifest)),
  );
}

/** Items grouped by key, in their order. */
export function byKey<T extends { key: string }>(items: readonly T[]): Map<string, T[]> {
  return groupBy(items, (item) => item.key);
}

/**
 * Decides, for every record no manifest matches, between move (same key, other sandbox; its
 * audience's spec.name under another key, in its sandbox or another; its own file now naming
 * another key no record holds), held (its file failed, or the file of its key, some file could
 * not be read, its file still names its key in another sandbox recorded there too:
 * still-named.ts, or a manifest the plan did not read still names it: `elsewhere`), out of
 * scope (outside --include/--exclude) and removal. Only a removal deletes or forgets.
 */
export function leftoverRecords(
  desired: LoadResult,
  records: ReadonlyMap<string, AudienceRecord>,
  scope: PlanScope | undefined,
  elsewhere: readonly ManifestElsewhere[] = [],
  /** `plan --base`: the records are assumed from the base's manifests (assumed-state.ts). */
  assumed = false,
  /** The flags the commands of its steps carry (src/text/paste-flags.ts). */
  paste?: PasteFlags,
  /** The repository planned (PlanOptions.repository), when known. */
  repository?: string,
  /** Repositories whose paths differ from it by a prefix, of another history (other-histories.ts). */
  distinct: ReadonlySet<string> = new Set(),
): Leftovers {
  const desiredIds = new Set(desired.manifests.map((m) => recordId(m.sandbox, m.key)));
  // Built for the first leftover: a plan where every record has its manifest needs none.
  let desiredByKey: Map<string, DesiredManifest[]> | undefined;
  let heldByKey: Map<string, LoadResult['held']> | undefined;
  const skippedFiles = new Set(desired.skippedFiles);
  const failedFiles = new Set(desired.failedFiles);
  // Symlinks the reader did not follow (out of the source root): their paths were not read.
  let unfollowed: Array<{ file: string; rule: string }> | undefined;
  let byName: Map<string, DesiredManifest[]> | undefined;
  const keptElsewhere = byKey(elsewhere.filter(namesKey));
  const removedIn = new Map<string, RemovedIn>();
  for (const m of elsewhere) if (m.kind === 'removed-in') removedIn.set(recordId(m.sandbox, m.key), m);
  const filters = scope ? leftOutByFilters(scope.include, scope.exclude) : '';
  const result: Leftovers = {
    removals: [],
    moves: [],
    held: [],
    moveTargets: new Set(),
    carried: new Map(),
    outside: 0,
    remnants: 0,
    otherRepositories: new Map(),
    heldElsewhere: 0,
  };
  const claimed = (id: string) => result.moveTargets.has(id) || result.carried.has(id);
  // `named`: held for a manifest the plan did not read (HeldAudience.elsewhere).
  const hold = (record: AudienceRecord, reason: string, named = false) =>
    result.held.push({
      sandbox: record.sandbox,
      key: record.key,
      reason,
      ...(named ? { elsewhere: true as const } : {}),
    });

  /**
   * Why the record's manifest may not be gone (held), or that it is out of scope: the checks a
   * removal passes first, the manifests found elsewhere aside. Undefined: none applies.
   */
  const keptBy = (record: AudienceRecord): string | typeof OUTSIDE | undefined => {
    heldByKey ??= byKey(desired.held);
    const heldKeys = heldByKey.get(record.key) ?? [];
    const file = record.manifestFile;
    // Its own file, when it is among those in error (a key named twice holds both files'
    // records: each is told of its own file), else the file that may name it.
    const broken =
      heldKeys.find((h) => h.file === file) ??
      heldKeys.find((h) => h.sandbox === record.sandbox) ??
      heldKeys[0];
    if (broken) {
      const own = file !== undefined && failedFiles.has(file) ? file : broken.file;
      return `${own} has errors; the audience is left as it is`;
    }
    if (file !== undefined && skippedFiles.has(file))
      return `${file} is no longer read as an audiencectl manifest (see its note); the audience is left as it is`;
    if (scope && (file === undefined || !scope.covers(file))) return OUTSIDE;
    unfollowed ??= desired.diagnostics.filter(
      (d) =>
        d.rule === SYMLINK_NOT_FOLLOWED || d.rule === SUBMODULE_NOT_CHECKED_OUT || d.rule === SUBMODULE_STALE,
    );
    // A manifest (or a folder of them) replaced by a link out of the root, or in a submodule not
    // checked out (or checked out at another commit than recorded), was not removed; a record
    // that names no file may come from behind any such.
    const link =
      file === undefined
        ? unfollowed[0]
        : unfollowed.find((d) => file === d.file || file.startsWith(`${d.file}/`));
    if (link !== undefined) {
      const what = UNREAD_WHAT[link.rule] ?? 'a symlink that is not followed';
      return `${link.file} is ${what} (see its warning); the audience is left as it is`;
    }
    // An emptied file is no removed manifest; a record that names no file may come from one.
    const emptied = file === undefined ? desired.emptyFiles[0] : desired.emptyFiles.find((p) => p === file);
    if (emptied !== undefined)
      return `${emptied} holds no manifest (it is empty, or only comments); the audience is left as it is; delete the file to delete the audience`;
    // Its own file has errors, whatever key it names now (a metadata.name edited along with a
    // typo), or none can be read from it (a YAML error before its metadata.name): a broken file
    // is no removed manifest, and the file is named, as the diagnostics name it, before the hold
    // of every deletion it also causes (review controller-48: /status and /plan said only 'some
    // file').
    if (file !== undefined && failedFiles.has(file))
      return `${file} has errors; the audience is left as it is`;
    if (desired.holdAllDeletions)
      return 'not found, but some file could not be read; deletions are held until it is fixed';
    return undefined;
  };
  const elsewhereOf = (record: AudienceRecord) => elsewhereReason(record, keptElsewhere, records, filters);

  /**
   * A move: the create takes a record waiting for its create along (waiting-move.ts) when its
   * manifest is gone as a removal's would be (`free`: nothing holds it, nothing elsewhere names
   * it; the old key is removed, or its record dropped, as a removal would); else the blocked
   * step stands for it, and the create of `target` waits.
   */
  const move = (record: AudienceRecord, target: DesiredManifest, blocked: Step, free: boolean) => {
    const id = recordId(target.sandbox, target.key);
    if (free && carries(record, target) && elsewhereOf(record) === undefined) result.carried.set(id, record);
    else {
      result.moves.push(blocked);
      result.moveTargets.add(id);
    }
  };

  // Records every check below would remove: their own file is looked at last.
  const gone: AudienceRecord[] = [];
  for (const [id, record] of records) {
    if (desiredIds.has(id)) continue;
    // Kept only for the sandbox's run budget, its manifest removed: nothing to remove, move or hold.
    if (holdsOnlyFormerRuns(record)) {
      result.remnants += 1;
      continue;
    }
    const other = ofOtherRepository(record, repository, distinct);
    if (other !== undefined) {
      result.otherRepositories.set(other, (result.otherRepositories.get(other) ?? 0) + 1);
      continue;
    }
    // A manifest with this key that would otherwise be a create elsewhere: the sandbox changed.
    desiredByKey ??= byKey(desired.manifests);
    const target = desiredByKey
      .get(record.key)
      ?.find(
        (m) =>
          !holdsAudienceRecord(records, recordId(m.sandbox, m.key)) && !claimed(recordId(m.sandbox, m.key)),
      );
    if (target) {
      move(record, target, moveStep(record, target, assumed, paste), keptBy(record) === undefined);
      continue;
    }
    const kept = keptBy(record);
    if (kept === OUTSIDE) {
      result.outside += 1;
      continue;
    }
    if (kept !== undefined) {
      hold(record, kept);
      continue;
    }
    const name = waitingName(record);
    byName ??= unrecordedByName(desired, records);
    const sameName = (name === undefined ? undefined : byName.get(audienceNameKey(name)))?.filter(
      (m) => !claimed(recordId(m.sandbox, m.key)),
    );
    const renamed = sameName?.find((m) => m.sandbox === record.sandbox);
    if (renamed) {
      move(record, renamed, renameStep(record, renamed, assumed, paste), true);
      continue;
    }
    // Its audience under another key in another sandbox (its own file's first): metadata.name
    // and the sandbox (metadata.sandbox, or the default) changed together, either alone a move.
    const movedRenamed = sameName?.find((m) => m.file === record.manifestFile) ?? sameName?.[0];
    if (movedRenamed) {
      move(record, movedRenamed, changedStep(record, movedRenamed, assumed, paste), true);
      continue;
    }
    // Its file still names the key in another sandbox, recorded or claimed there: not removed.
    const named = stillNamedElsewhere(record, desiredByKey.get(record.key) ?? []);
    if (named !== undefined) {
      hold(record, stillNamedReason(record, named, records.has(recordId(named.sandbox, named.key)), paste));
      continue;
    }
    // Last: only a record every other check would remove was looked up at the edge.
    const elsewhereKept = elsewhereOf(record);
    if (elsewhereKept !== undefined) {
      hold(record, elsewhereKept.reason, !elsewhereKept.writing);
      if (!elsewhereKept.writing) result.heldElsewhere += 1;
      continue;
    }
    gone.push(record);
  }

  // Last, once every key and name has found its record: a record whose own file still holds a
  // manifest no record holds and nothing above claimed (its metadata.name, metadata.sandbox or
  // the default sandbox changed, spec.name too) was changed, not removed: a blocked move, and the
  // create of that manifest waits. A file that still holds only recorded manifests (one document
  // of several removed) is a removal. Two records of one file may both wait for the same manifest
  // (two documents merged into one): neither is deleted on a guess of which one it is.
  const claimedAbove = new Set([...result.moveTargets, ...result.carried.keys()]);
  // The manifests no record holds and nothing above claimed, by file: indexed once, not searched
  // for each removal (a plan removing thousands of a large repository's audiences).
  const unclaimedByFile = new Map<string, DesiredManifest>();
  if (gone.length > 0) {
    for (const m of desired.manifests) {
      const id = recordId(m.sandbox, m.key);
      if (holdsAudienceRecord(records, id) || claimedAbove.has(id) || unclaimedByFile.has(m.file)) continue;
      unclaimedByFile.set(m.file, m);
    }
  }
  const removed = new Set(gone.map((record) => recordId(record.sandbox, record.key)));
  // The records of each audience: more than one only in a state edited outside audiencectl.
  const holders = groupBy(gone.length > 0 ? records.values() : [], (record) => record.audienceId);
  // The first manifest of each file, built for the hold of a record under a key no manifest can have.
  let firstByFile: Map<string, DesiredManifest> | undefined;
  const fileHolds = (file: string) => {
    firstByFile ??= new Map([...desired.manifests].reverse().map((m) => [m.file, m]));
    return firstByFile.get(file);
  };
  for (const record of gone) {
    const shared = sharedAudienceReason(record, holders, removed, desired.manifests, paste);
    if (shared !== undefined) {
      hold(record, shared);
      continue;
    }
    const stray = strayRecordReason(record, paste, fileHolds);
    if (stray !== undefined) {
      hold(record, stray);
      continue;
    }
    const file = record.manifestFile;
    // A record that holds no audience is forgotten: its removal deletes nothing (still-named.ts).
    const changed = file === undefined || holdsNoAudience(record) ? undefined : unclaimedByFile.get(file);
    if (changed) move(record, changed, changedStep(record, changed, assumed, paste), false);
    else
      result.removals.push(
        removalStep(record, records, paste, removedIn.get(recordId(record.sandbox, record.key))),
      );
  }
  return result;
}
