import { isDeepStrictEqual } from 'node:util';
import type { DesiredManifest } from '../manifest/load.js';
import type { NormalSpec } from '../manifest/normal-spec.js';
import { formerAudienceNote } from '../state/describe.js';
import type { AudienceRecord } from '../state/schema.js';
import { fullPatchBody } from './diff.js';
import { UNSEEN_BY_REFRESH } from './drift.js';
import { alikeName, alikeText } from './name-alike.js';
import type { AdoptStep, AdoptView, AppliedTarget, FieldChange, FoundAudience } from './schema.js';

/** Why a found audience of the manifest's name cannot be adopted, or undefined when it can. */
export function ineligible(
  audience: FoundAudience,
  spec: NormalSpec,
  claimedBy: ReadonlyMap<string, string>,
): string | undefined {
  if (audience.name !== spec.name) {
    const alike = alikeName(spec.name, audience.name);
    return `named "${audience.name}"${alike === undefined ? '' : `, ${alikeText(spec.name, audience.name, alike)}`}`;
  }
  if (!audience.external) return 'not an external audience';
  if ((audience.originName ?? spec.originName) !== spec.originName)
    return `origin ${audience.originName ?? '?'}, not ${spec.originName}`;
  const owner = claimedBy.get(audience.audienceId);
  return owner === undefined ? undefined : `already recorded for ${owner}`;
}

/** `id (created <time> by <user>[, why not])`, for messages that list candidates. */
export function describeFound(audience: FoundAudience, why?: string): string {
  const when =
    audience.createdAt === undefined ? 'unknown time' : new Date(audience.createdAt * 1000).toISOString();
  return `${audience.audienceId} (created ${when} by ${audience.createdBy ?? 'unknown'}${why ? `; ${why}` : ''})`;
}

/** Audience ids recorded for a key, by id: `sandbox/key`. */
export function claims(records: readonly AudienceRecord[]): Map<string, string> {
  const claimed = new Map<string, string>();
  for (const record of records) {
    if (record.audienceId) claimed.set(record.audienceId, `${record.sandbox}/${record.key}`);
  }
  return claimed;
}

export type AdoptMatch =
  | { kind: 'one'; audience: FoundAudience }
  | { kind: 'none' | 'several'; candidates: FoundAudience[]; listed: string };

/** The rule of adoption (`metadata.adopt`, `--adopt`, `state import --discover`): exactly one eligible audience. */
export function matchAdoptable(
  found: readonly FoundAudience[],
  spec: NormalSpec,
  claimedBy: ReadonlyMap<string, string>,
): AdoptMatch {
  const eligible = found.filter((audience) => ineligible(audience, spec, claimedBy) === undefined);
  if (eligible.length === 1 && eligible[0]) return { kind: 'one', audience: eligible[0] };
  const several = eligible.length > 1;
  const shown = several ? eligible : found;
  const listed = shown
    .slice(0, 5)
    .map((audience) => describeFound(audience, several ? undefined : ineligible(audience, spec, claimedBy)))
    .join(', ');
  return { kind: several ? 'several' : 'none', candidates: [...shown], listed };
}

/** What the service shows that differs from the manifest: PATCHable, or not (then adoption is blocked). */
function differences(audience: FoundAudience, spec: NormalSpec): FieldChange[] {
  const changes: FieldChange[] = [];
  const compare = (path: string, live: unknown, wanted: unknown, patchable: boolean) => {
    if (live !== undefined && !isDeepStrictEqual(live, wanted))
      changes.push({ path, before: live, after: wanted, forcesReplacement: !patchable });
  };
  compare('description', audience.description ?? '', spec.description, true);
  compare('labels', [...new Set(audience.labels ?? [])].sort(), spec.labels, true);
  compare('ttlInDays', audience.ttlInDays, spec.ttlInDays, true);
  compare('namespace', audience.namespace, spec.namespace, false);
  return changes;
}

/**
 * The `<= adopt` step of a plan that looked nothing up (`plan --base`: no service, no
 * state). The apply never creates an adopt manifest, so this is no create and no first run;
 * what it does depends on what the sandbox holds then, which this plan cannot know: it says
 * both outcomes instead of guessing one.
 */
export function unlookedAdoptStep(desired: DesiredManifest, name: string, why: string): AdoptStep {
  return {
    id: `${desired.sandbox}/${desired.key}:adopt`,
    sandbox: desired.sandbox,
    key: desired.key,
    kind: 'adopt',
    source: `${desired.file}:${desired.line}`,
    reason: `adopt an existing audience (${why}); this plan reads no service: the apply looks up the audiences named "${name}" in sandbox "${desired.sandbox}", adopts exactly one it may adopt (a PATCH of its changeable properties to the manifest, no first run) and blocks if none or several; it never creates this audience`,
    changes: [],
    candidates: [],
  };
}

/** The `<= adopt` step of a manifest without a record whose adoption was asked for. */
export function adoptStep(
  desired: DesiredManifest,
  target: AppliedTarget,
  view: AdoptView,
  records: readonly AudienceRecord[],
  why: string,
  record?: AudienceRecord,
): AdoptStep {
  const found = view.byKey[`${desired.sandbox}/${desired.key}`] ?? [];
  const match = matchAdoptable(found, target.spec, claims(records));
  const base = {
    id: `${desired.sandbox}/${desired.key}:adopt`,
    sandbox: desired.sandbox,
    key: desired.key,
    kind: 'adopt' as const,
    source: `${desired.file}:${desired.line}`,
  };
  const name = `"${target.spec.name}"`;
  if (match.kind !== 'one') {
    const what =
      match.kind === 'several'
        ? `several audiences named ${name} could be adopted`
        : `no audience named ${name} that audiencectl may adopt`;
    const listed = match.listed === '' ? '' : ` (found: ${match.listed})`;
    return {
      ...base,
      reason: `adopt an existing audience (${why})`,
      changes: [],
      candidates: match.candidates,
      blocked: `${what} in sandbox "${desired.sandbox}"${listed}; adoption takes exactly one external ${target.spec.originName} audience of that exact name, recorded for no other manifest`,
    };
  }
  const audience = match.audience;
  const changes = differences(audience, target.spec);
  const fixed = changes.filter((change) => change.forcesReplacement).map((change) => change.path);
  return {
    ...base,
    reason: `adopt the existing audience ${audience.audienceId} (${why}); PATCH its changeable properties to the manifest (not compared: ${UNSEEN_BY_REFRESH.join(', ')})${formerAudienceNote(record, audience)}`,
    audienceId: audience.audienceId,
    changes,
    patch: fullPatchBody(target.spec),
    target,
    candidates: [audience],
    ...(fixed.length > 0
      ? {
          blocked: `${fixed.join(', ')} cannot be changed in place, and an audience audiencectl did not create is never replaced: make the manifest match it, or give the manifest another spec.name (a create of this one is refused while that audience holds it)`,
        }
      : {}),
  };
}
