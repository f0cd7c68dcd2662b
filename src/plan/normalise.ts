import { hash } from 'node:crypto';
import type { NormalField, NormalSpec } from '../manifest/normal-spec.js';
import type { AudienceSpec } from '../manifest/schema.js';
import { compareText } from '../text/compare.js';

/** Service defaults (reference page): filled in so "absent" and "default" compare equal. */
export const SPEC_DEFAULTS = {
  ttlInDays: 30,
  audienceType: 'people',
  namespace: 'CustomerAudienceUpload',
} as const;

function sortedSet(values: readonly string[] | undefined): string[] {
  // Most lists have one item or none (the parser thread normalises every spec it reads).
  if (values === undefined || values.length === 0) return [];
  if (values.length === 1) return [values[0]!];
  return [...new Set(values)].sort();
}

function byName(a: { name: string }, b: { name: string }): number {
  return compareText(a.name, b.name);
}

/** Canonical form of a spec (see NormalSpec); `ttlInDays` arrives already coerced to a number. */
export function normaliseSpec(spec: AudienceSpec): NormalSpec {
  // As schema.ts's sourceParams, which this does not import: the parser thread (which
  // hashes specs for the manifest cache) loads no zod.
  const params = 'params' in spec.sourceSpec ? spec.sourceSpec.params : spec.sourceSpec;
  // Built key by key, in this order, rather than by spreading optional parts: the same
  // JSON (specHash), fewer objects.
  const fields: NormalField[] = spec.fields
    .map((field): NormalField => {
      const labels = sortedSet(field.labels);
      // Identity namespace codes are case-insensitive: the service answers `Email` for `email`.
      return field.identityNs === undefined
        ? { name: field.name, type: field.type, labels }
        : { name: field.name, type: field.type, identityNs: field.identityNs.toLowerCase(), labels };
    })
    .sort(byName);
  const sourceSpec: NormalSpec['sourceSpec'] = { path: params.path, type: params.type };
  if (params.sourceType !== undefined) sourceSpec.sourceType = params.sourceType;
  if (params.cloudType !== undefined) sourceSpec.cloudType = params.cloudType;
  if (params.baseConnectionId !== undefined) sourceSpec.baseConnectionId = params.baseConnectionId;
  const normal = { name: spec.name, description: spec.description ?? '' } as NormalSpec;
  if (spec.customAudienceId !== undefined) normal.customAudienceId = spec.customAudienceId;
  normal.fields = fields;
  normal.sourceSpec = sourceSpec;
  normal.ttlInDays = spec.ttlInDays ?? SPEC_DEFAULTS.ttlInDays;
  normal.labels = sortedSet(spec.labels);
  normal.audienceType = spec.audienceType ?? SPEC_DEFAULTS.audienceType;
  normal.originName = spec.originName;
  normal.namespace = spec.namespace ?? SPEC_DEFAULTS.namespace;
  normal.tags = sortedSet(spec.tags);
  return normal;
}

/** normaliseSpec builds every object with the same key order, so plain JSON is canonical. */
export function specHash(spec: NormalSpec): string {
  // One-shot hashing (Node 20.12 and later) costs a third of a Hash object's.
  return hash('sha256', JSON.stringify(spec), 'hex').slice(0, 16);
}
