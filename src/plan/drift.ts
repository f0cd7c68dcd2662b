import { isDeepStrictEqual } from 'node:util';
import type { NormalSpec } from '../manifest/normal-spec.js';
import type { AudienceRecord } from '../state/schema.js';
import type { FieldChange, LiveState, RefreshReport, RefreshView } from './schema.js';
import { forgetCommand, type PasteFlags } from '../text/paste-flags.js';
import { notTheImported, otherAudienceText, unverifiedImport } from './unverified-import.js';

/**
 * What the Audiences API does not show, so a refresh cannot see drift in it. Said in every
 * refreshed plan rather than guessed.
 */
export const UNSEEN_BY_REFRESH = ['fields (types, identity namespaces, field labels)', 'sourceSpec', 'tags'];

/** The properties a refresh compares: those the Audiences API shows and PATCH can set back. */
const VISIBLE = ['description', 'labels', 'ttlInDays'] as const;

export type Drift =
  | { kind: 'none' }
  | { kind: 'deleted'; audienceId: string; detail: string }
  | { kind: 'renamed'; detail: string }
  /** Deactivated outside audiencectl: no call of either API sets lifecycleState back. */
  | { kind: 'deactivated'; detail: string }
  | { kind: 'changed'; changes: FieldChange[]; detail: string }
  /** An id `state import` recorded unchecked that names no audience: not drift, and no deletion. */
  | { kind: 'unverified'; detail: string };

type Visible = Pick<NormalSpec, (typeof VISIBLE)[number]>;

/** The live values in the manifest's normal form; what the service does not show stays undefined. */
function normalLive(live: Extract<LiveState, { status: 'found' }>): Partial<Visible> {
  return {
    // An audience without a description shows none: the normal form of "none" is ''.
    description: live.description ?? '',
    labels: [...new Set(live.labels ?? [])].sort(),
    ...(live.ttlInDays === undefined ? {} : { ttlInDays: live.ttlInDays }),
  };
}

/**
 * The name audiencectl knows the audience by: as applied, as the service last showed it, or
 * as it was imported.
 */
export function knownName(record: AudienceRecord): string | undefined {
  if (record.applied) return record.applied.spec.name;
  const body = record.observed?.body;
  const name = body?.['audienceName'] ?? body?.['name'];
  return typeof name === 'string' ? name : record.imported?.name;
}

/** The refresh's view of this record, when it read this very id. */
export function liveOf(view: RefreshView | undefined, record: AudienceRecord): LiveState | undefined {
  const live = view?.audiences[`${record.sandbox}/${record.key}`];
  return live && live.audienceId === record.audienceId ? live : undefined;
}

/**
 * What the service showed of this record's audience before planning: the refresh's read, else
 * the read of an audience a DELETE of unknown outcome may have removed since (lateDeletes).
 */
export function liveRead(
  options: { refresh?: RefreshView | undefined; lateDeletes?: RefreshView | undefined },
  record: AudienceRecord,
): LiveState | undefined {
  return liveOf(options.refresh, record) ?? liveOf(options.lateDeletes, record);
}

/**
 * How the audience the service shows differs from what audiencectl applied. Only changes
 * that the manifest does not already ask for count as drift (`target` is the manifest's spec).
 */
export function driftOf(
  record: AudienceRecord,
  live: LiveState,
  target: NormalSpec,
  /** The flags its `state forget` carries (src/text/paste-flags.ts). */
  paste?: PasteFlags,
): Drift {
  const id = live.audienceId;
  // Never known to exist: its 404 says nothing was deleted (one 404 proves nothing, and a typo
  // proves less), so nothing is created in its place; said as the apply says it.
  if (live.status === 'missing' && unverifiedImport(record))
    return {
      kind: 'unverified',
      detail: otherAudienceText(
        record,
        `does not exist in sandbox "${record.sandbox}" (the Audiences API answered 404)`,
        paste,
      ),
    };
  if (live.status === 'missing') {
    const late = record.unansweredDelete;
    // Most likely audiencectl's own DELETE, settled as not done while it was still on its way.
    const by =
      late?.audienceId === id
        ? `is gone, most likely deleted by the DELETE an interrupted apply sent at ${late.startedAt}, which landed after it was settled as not done`
        : 'was deleted outside audiencectl';
    return { kind: 'deleted', audienceId: id, detail: `audience ${id} ${by}` };
  }
  // An id `state import` recorded unchecked may name another audience: said as the apply says it.
  const other = unverifiedImport(record) ? notTheImported(record, live) : undefined;
  if (other !== undefined) return { kind: 'renamed', detail: otherAudienceText(record, other, paste) };
  const known = knownName(record);
  if (!live.external || (known !== undefined && live.name !== known)) {
    const what = live.external ? '' : ', not an external audience';
    return {
      kind: 'renamed',
      detail: `audience ${id} is now named "${live.name}"${what} (recorded as "${known ?? '?'}"): renamed outside audiencectl, and a name cannot be PATCHed; rename it back in AEP, or run \`${forgetCommand(record.key, record.sandbox, paste)}\` to leave it and create the manifest's audience anew`,
    };
  }
  // Its destinations have stopped using it, and neither API can set lifecycleState back: a
  // person reactivates it in AEP or removes the manifest. Never read as gone (its name is held).
  if (live.lifecycleState === 'inactive') {
    return {
      kind: 'deactivated',
      detail: `audience ${id} was deactivated outside audiencectl (lifecycleState "inactive") and no API call can reactivate it; reactivate it in AEP, or remove its manifest to delete it`,
    };
  }
  const applied = record.applied?.spec;
  // An imported audience has no applied spec: its full PATCH already sets every property back.
  if (!applied) return { kind: 'none' };
  const seen = normalLive(live);
  const changes: FieldChange[] = [];
  for (const key of VISIBLE) {
    const now = seen[key];
    if (now === undefined || isDeepStrictEqual(now, applied[key]) || isDeepStrictEqual(now, target[key]))
      continue;
    changes.push({ path: key, before: now, after: target[key], forcesReplacement: false, outside: true });
  }
  if (changes.length === 0) return { kind: 'none' };
  return {
    kind: 'changed',
    changes,
    detail: `${changes.map((c) => c.path).join(', ')} changed outside audiencectl`,
  };
}

/**
 * `applied` with the properties the Audiences API shows (description, labels, ttlInDays) as
 * `live` shows them: the spec the service holds, as far as a read can tell (what it does not show,
 * UNSEEN_BY_REFRESH, stays as applied); and those of them that differ from `applied`, with the
 * value shown. How an interrupted PATCH is settled (apply/resume.ts).
 */
export function asShown(
  applied: NormalSpec,
  live: Extract<LiveState, { status: 'found' }>,
): { spec: NormalSpec; differ: Array<{ path: string; now: unknown }> } {
  const seen = normalLive(live);
  const differ = VISIBLE.flatMap((key) =>
    seen[key] === undefined || isDeepStrictEqual(seen[key], applied[key])
      ? []
      : [{ path: key, now: seen[key] }],
  );
  // Spread over `applied`, its keys keep their order: the same JSON, so the same specHash.
  return { spec: { ...applied, ...seen }, differ };
}

/** Drift changes in place of the manifest's own changes of the same properties. */
export function withDrift(changes: readonly FieldChange[], drift: readonly FieldChange[]): FieldChange[] {
  const outside = new Set(drift.map((c) => c.path));
  return [...drift, ...changes.filter((c) => !outside.has(c.path))];
}

/** The plan's account of a refresh. */
export function refreshReport(view: RefreshView, drifted: RefreshReport['drifted']): RefreshReport {
  return {
    at: view.at,
    read: Object.keys(view.audiences).length,
    drifted,
    unseen: [...UNSEEN_BY_REFRESH],
  };
}
