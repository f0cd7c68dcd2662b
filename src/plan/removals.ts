import { SYMLINK_NOT_FOLLOWED } from '../manifest/diagnostics.js';
import { audienceNameKey } from '../manifest/duplicates.js';
import type { DesiredManifest, LoadResult } from '../manifest/load.js';
import type { AudienceRecord } from '../state/schema.js';
import { recordId } from '../state/record-id.js';
import { specName } from '../manifest/spec-hash-memo.js';
import { knownName } from './drift.js';
import { elsewhereReason, namesKey, type ManifestElsewhere } from './elsewhere.js';
import type { HeldAudience, PlainStepKind, Step } from './schema.js';

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

/** What becomes of the records no manifest of this plan matches. */
export type Leftovers = {
  removals: Step[];
  moves: Step[];
  held: HeldAudience[];
  /** Desired ids whose record is in another sandbox: their create is the move's. */
  moveTargets: Set<string>;
  /** Records outside the plan's scope, left alone. */
  outside: number;
};

function baseStep(record: AudienceRecord, kind: PlainStepKind, reason: string): Step {
  return {
    id: `${record.sandbox}/${record.key}:${kind}`,
    sandbox: record.sandbox,
    key: record.key,
    kind,
    reason,
    changes: [],
    ...(record.audienceId ? { audienceId: record.audienceId } : {}),
  };
}

/** A blocked step: what happened, and how to do it on purpose. Never delete + create. */
function moveStep(record: AudienceRecord, manifest: DesiredManifest): Step {
  const from = record.sandbox;
  const to = manifest.sandbox;
  const { key } = record;
  const explicit = manifest.manifest.metadata.sandbox !== undefined;
  const why = explicit
    ? `its manifest now names sandbox "${to}", but the audience is recorded in "${from}"`
    : `its manifest names no sandbox and the default sandbox is now "${to}", but the audience is recorded in "${from}"`;
  const keep = explicit
    ? `set metadata.sandbox back to ${from}`
    : `set metadata.sandbox: ${from} in ${manifest.file} (or plan with --sandbox ${from})`;
  return {
    ...baseStep(record, 'move', why),
    source: `${manifest.file}:${manifest.line}`,
    changes: [{ path: 'sandbox', before: from, after: to, forcesReplacement: false }],
    blocked:
      `an audience cannot move between sandboxes, and a move is never applied as delete + create. ` +
      `To keep it in "${from}": ${keep}. To move it on purpose: \`audiencectl state forget ${key} --sandbox ${from}\` ` +
      `(the audience in "${from}" stays, unmanaged), then apply to create it in "${to}", ` +
      `or \`audiencectl state import ${key} <manifests dir> --sandbox ${to} --audience-id <id>\` if it already exists there`,
  };
}

/**
 * A record whose key is gone while a new manifest of its sandbox names its audience: a
 * changed metadata.name (a typo, say). Blocked, as a move: delete + create would delete the
 * audience, and the create of its name would be refused while it exists.
 */
function renameStep(record: AudienceRecord, manifest: DesiredManifest): Step {
  const { key, sandbox } = record;
  return {
    ...baseStep(
      record,
      'move',
      `metadata.name is now "${manifest.key}" in ${manifest.file}, but its audience ("${specName(manifest.manifest)}") is recorded as "${key}"`,
    ),
    source: `${manifest.file}:${manifest.line}`,
    changes: [{ path: 'metadata.name', before: key, after: manifest.key, forcesReplacement: false }],
    blocked:
      `a changed metadata.name is never applied as delete + create. To keep the audience: set metadata.name back to ${key}. ` +
      `To keep the new name: \`audiencectl state forget ${key} --sandbox ${sandbox}\`, then ` +
      `\`audiencectl state import ${manifest.key} <manifests dir> --sandbox ${sandbox} --audience-id <id>\``,
  };
}

/** Desired manifests without a record, by sandbox and audience name (as the service compares names). */
function unrecordedByName(
  desired: LoadResult,
  records: ReadonlyMap<string, AudienceRecord>,
): Map<string, DesiredManifest[]> {
  const map = new Map<string, DesiredManifest[]>();
  for (const manifest of desired.manifests) {
    if (records.has(recordId(manifest.sandbox, manifest.key))) continue;
    const id = `${manifest.sandbox}\n${audienceNameKey(specName(manifest.manifest))}`;
    const same = map.get(id);
    if (same) same.push(manifest);
    else map.set(id, [manifest]);
  }
  return map;
}

/** A record whose manifest is gone from a covered, completely read source. */
function removalStep(record: AudienceRecord): Step {
  if (record.deletionPolicy === 'Orphan') {
    return baseStep(record, 'forget', 'manifest removed; deletionPolicy Orphan keeps the remote audience');
  }
  // The create operation names the audience: ours, so it may be deleted once the operation says which.
  if (record.audienceId || (record.operationId && !record.blocked)) {
    return baseStep(record, 'delete', 'manifest removed');
  }
  const step = baseStep(
    record,
    'forget',
    'manifest removed; no audience id was recorded, so nothing can be deleted',
  );
  if (!record.blocked && !record.intent) return step;
  // Pointing the record at an id (state import) could name someone else's audience: only forgetting is safe.
  const doubt = record.blocked ? record.blocked.message : `a ${record.intent!.kind} call was interrupted`;
  return {
    ...step,
    blocked: `the audience may exist remotely (${doubt}) but audiencectl never learned its id; to drop the record and leave any remote audience alone, run: audiencectl state forget ${record.key} --sandbox ${record.sandbox}`,
  };
}

/** Items grouped by key, in their order. */
export function byKey<T extends { key: string }>(items: readonly T[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const same = map.get(item.key);
    if (same) same.push(item);
    else map.set(item.key, [item]);
  }
  return map;
}

/**
 * Decides, for every record no manifest matches, between move (same key, other
 * sandbox), held (its file failed, some file could not be read, or a manifest the plan
 * did not read still names it: `elsewhere`), out of scope (outside --include/--exclude)
 * and removal. Only a removal deletes or forgets.
 */
export function leftoverRecords(
  desired: LoadResult,
  records: ReadonlyMap<string, AudienceRecord>,
  scope: PlanScope | undefined,
  elsewhere: readonly ManifestElsewhere[] = [],
): Leftovers {
  const desiredIds = new Set(desired.manifests.map((m) => recordId(m.sandbox, m.key)));
  // Built for the first leftover: a plan where every record has its manifest needs none.
  let desiredByKey: Map<string, DesiredManifest[]> | undefined;
  let heldByKey: Map<string, LoadResult['held']> | undefined;
  const skippedFiles = new Set(desired.skippedFiles);
  // Symlinks the reader did not follow (out of the source root): their paths were not read.
  let unfollowed: string[] | undefined;
  let byName: Map<string, DesiredManifest[]> | undefined;
  const keptElsewhere = byKey(elsewhere.filter(namesKey));
  const filters = scope
    ? [...scope.include.map((g) => `--include ${g}`), ...scope.exclude.map((g) => `--exclude ${g}`)].join(' ')
    : '';
  const result: Leftovers = { removals: [], moves: [], held: [], moveTargets: new Set(), outside: 0 };
  const hold = (record: AudienceRecord, reason: string) =>
    result.held.push({ sandbox: record.sandbox, key: record.key, reason });

  for (const [id, record] of records) {
    if (desiredIds.has(id)) continue;
    // A manifest with this key that would otherwise be a create elsewhere: the sandbox changed.
    desiredByKey ??= byKey(desired.manifests);
    heldByKey ??= byKey(desired.held);
    const target = desiredByKey.get(record.key)?.find((m) => !records.has(recordId(m.sandbox, m.key)));
    if (target) {
      result.moves.push(moveStep(record, target));
      result.moveTargets.add(recordId(target.sandbox, target.key));
      continue;
    }
    const heldKeys = heldByKey.get(record.key) ?? [];
    const broken = heldKeys.find((h) => h.sandbox === record.sandbox) ?? heldKeys[0];
    if (broken) {
      hold(record, `${broken.file} has errors; the audience is left as it is`);
      continue;
    }
    const file = record.manifestFile;
    if (file !== undefined && skippedFiles.has(file)) {
      hold(
        record,
        `${file} is no longer read as an audiencectl manifest (see its note); the audience is left as it is`,
      );
      continue;
    }
    if (scope && (file === undefined || !scope.covers(file))) {
      result.outside += 1;
      continue;
    }
    unfollowed ??= desired.diagnostics.filter((d) => d.rule === SYMLINK_NOT_FOLLOWED).map((d) => d.file);
    // A manifest (or a folder of them) replaced by a link out of the root was not removed; a
    // record that names no file may come from behind any such link.
    const link =
      file === undefined ? unfollowed[0] : unfollowed.find((p) => file === p || file.startsWith(`${p}/`));
    if (link !== undefined) {
      hold(
        record,
        `${link} is a symlink that is not followed (see its warning); the audience is left as it is`,
      );
      continue;
    }
    // An emptied file is no removed manifest; a record that names no file may come from one.
    const emptied = file === undefined ? desired.emptyFiles[0] : desired.emptyFiles.find((p) => p === file);
    if (emptied !== undefined) {
      hold(
        record,
        `${emptied} holds no manifest (it is empty, or only comments); the audience is left as it is; delete the file to delete the audience`,
      );
      continue;
    }
    if (desired.holdAllDeletions) {
      hold(record, 'not found, but some file could not be read; deletions are held until it is fixed');
      continue;
    }
    const name = knownName(record);
    byName ??= unrecordedByName(desired, records);
    const renamed =
      name === undefined
        ? undefined
        : byName
            .get(`${record.sandbox}\n${audienceNameKey(name)}`)
            ?.find((m) => !result.moveTargets.has(recordId(m.sandbox, m.key)));
    if (renamed) {
      result.moves.push(renameStep(record, renamed));
      result.moveTargets.add(recordId(renamed.sandbox, renamed.key));
      continue;
    }
    // Last: only a record every other check would remove was looked up at the edge.
    const kept = elsewhereReason(record, keptElsewhere, records, filters);
    if (kept !== undefined) {
      hold(record, kept);
      continue;
    }
    result.removals.push(removalStep(record));
  }
  return result;
}
