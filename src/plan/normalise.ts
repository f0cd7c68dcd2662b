import { hash } from 'node:crypto';
import type { NormalField, NormalSpec } from '../manifest/normal-spec.js';
import type { AudienceSpec } from '../manifest/schema.js';

/** Service defaults (reference page): filled in so "absent" and "default" compare equal. */
export const SPEC_DEFAULTS = {
  ttlInDays: 30,
  audienceType: 'people',
  namespace: 'CustomerAudienceUpload',
} as const;

function sortedSet(values: readonly string[] | undefined): string[] {
  return [...new Set(values ?? [])].sort();
}

/** Code-point order: stable across machines, unlike localeCompare. */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function byName(a: { name: string }, b: { name: string }): number {
  return compareText(a.name, b.name);
}

/** Canonical form of a spec (see NormalSpec); `ttlInDays` arrives already coerced to a number. */
export function normaliseSpec(spec: AudienceSpec): NormalSpec {
  // As schema.ts's sourceParams, which this does not import: the parser thread (which
  // hashes specs for the manifest cache) loads no zod.
  const params = 'params' in spec.sourceSpec ? spec.sourceSpec.params : spec.sourceSpec;
  const fields: NormalField[] = spec.fields
    .map((field) => ({
      name: field.name,
      type: field.type,
      // Identity namespace codes are case-insensitive: the service answers `Email` for `email`.
      ...(field.identityNs === undefined ? {} : { identityNs: field.identityNs.toLowerCase() }),
      labels: sortedSet(field.labels),
    }))
    .sort(byName);
  return {
    name: spec.name,
    description: spec.description ?? '',
    ...(spec.customAudienceId === undefined ? {} : { customAudienceId: spec.customAudienceId }),
    fields,
    sourceSpec: {
      path: params.path,
      type: params.type,
      ...(params.sourceType === undefined ? {} : { sourceType: params.sourceType }),
      ...(params.cloudType === undefined ? {} : { cloudType: params.cloudType }),
      ...(params.baseConnectionId === undefined ? {} : { baseConnectionId: params.baseConnectionId }),
    },
    ttlInDays: spec.ttlInDays ?? SPEC_DEFAULTS.ttlInDays,
    labels: sortedSet(spec.labels),
    audienceType: spec.audienceType ?? SPEC_DEFAULTS.audienceType,
    originName: spec.originName,
    namespace: spec.namespace ?? SPEC_DEFAULTS.namespace,
    tags: sortedSet(spec.tags),
  };
}

/** normaliseSpec builds every object with the same key order, so plain JSON is canonical. */
export function specHash(spec: NormalSpec): string {
  // One-shot hashing (Node 20.12 and later) costs a third of a Hash object's.
  return hash('sha256', JSON.stringify(spec), 'hex').slice(0, 16);
}
