import { isDeepStrictEqual } from 'node:util';
import type { NormalField, NormalSpec } from '../manifest/normal-spec.js';
import type { FieldChange } from './schema.js';

/** Properties PATCH can change (reference page, "Update an external audience"). */
const PATCHABLE_TOP = new Set(['description', 'labels', 'ttlInDays']);

const TOP_LEVEL = [
  'name',
  'description',
  'customAudienceId',
  'ttlInDays',
  'labels',
  'audienceType',
  'originName',
  'namespace',
  'tags',
] as const satisfies ReadonlyArray<keyof NormalSpec>;

const SOURCE_KEYS = ['path', 'type', 'sourceType', 'cloudType', 'baseConnectionId'] as const;
const FIELD_KEYS = ['type', 'identityNs', 'labels'] as const satisfies ReadonlyArray<keyof NormalField>;

function change(path: string, before: unknown, after: unknown, forcesReplacement: boolean): FieldChange {
  return {
    path,
    ...(before === undefined ? {} : { before }),
    ...(after === undefined ? {} : { after }),
    forcesReplacement,
  };
}

/** Property-level differences between two normalised specs, in a stable order. */
export function diffSpecs(before: NormalSpec, after: NormalSpec): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const key of TOP_LEVEL) {
    if (!isDeepStrictEqual(before[key], after[key])) {
      changes.push(change(key, before[key], after[key], !PATCHABLE_TOP.has(key)));
    }
  }
  for (const key of SOURCE_KEYS) {
    if (before.sourceSpec[key] !== after.sourceSpec[key]) {
      changes.push(change(`sourceSpec.${key}`, before.sourceSpec[key], after.sourceSpec[key], true));
    }
  }
  const beforeFields = new Map(before.fields.map((f) => [f.name, f]));
  const afterFields = new Map(after.fields.map((f) => [f.name, f]));
  const names = [...new Set([...beforeFields.keys(), ...afterFields.keys()])].sort();
  for (const name of names) {
    const old = beforeFields.get(name);
    const next = afterFields.get(name);
    if (!old || !next) {
      changes.push(change(`fields.${name}`, old, next, true));
      continue;
    }
    for (const key of FIELD_KEYS) {
      if (!isDeepStrictEqual(old[key], next[key])) {
        changes.push(change(`fields.${name}.${key}`, old[key], next[key], key !== 'labels'));
      }
    }
  }
  return changes;
}

/**
 * The PATCH body for the changes: only what changed, each listed property whole
 * (PATCH replaces what it lists; fields are listed one by one, with their labels).
 */
export function patchBody(changes: readonly FieldChange[], after: NormalSpec): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const fieldNames = new Set<string>();
  for (const { path } of changes) {
    if (path === 'description') body.description = after.description;
    else if (path === 'labels') body.labels = after.labels;
    else if (path === 'ttlInDays') body.ttlInDays = after.ttlInDays;
    else if (path.startsWith('fields.') && path.endsWith('.labels')) fieldNames.add(path.slice(7, -7));
  }
  if (fieldNames.size > 0) {
    body.fields = fieldLabels(after.fields.filter((field) => fieldNames.has(field.name)));
  }
  return body;
}

/**
 * A field in a PATCH carries only its name and labels: the page lets PATCH change nothing
 * else, and a service that reads it strictly refuses the type or namespace repeated.
 */
function fieldLabels(fields: readonly NormalField[]): { name: string; labels: string[] }[] {
  return fields.map((field) => ({ name: field.name, labels: field.labels }));
}

/** Every PATCHable property, for an audience whose applied spec is unknown (imported). */
export function fullPatchBody(after: NormalSpec): Record<string, unknown> {
  return {
    description: after.description,
    labels: after.labels,
    fields: fieldLabels(after.fields),
    ttlInDays: after.ttlInDays,
  };
}
