import type { ErrorItem } from './errors.js';
import { CLOUD_TYPES_NEEDING_CONNECTION, type CreateAudienceBody } from './schema.js';
import { flatSource } from './source-shape.js';

/** Newer versions of the API page allow at most this many fields. */
export const MAX_FIELDS = 41;

/**
 * Rules newer versions of the reference page add. Off by default (the emulator follows the
 * reference page); `newerRules` turns them into 100910-400 answers so clients can be tested
 * against the stricter service too.
 */
export function newerRuleViolations(body: CreateAudienceBody): ErrorItem[] {
  const items: ErrorItem[] = [];
  if (body.fields.length > MAX_FIELDS) {
    items.push({ path: 'fields', message: `must list at most ${MAX_FIELDS} fields` });
  }
  if (!body.fields.some((field) => field.identityNs !== undefined)) {
    items.push({ path: 'fields', message: 'must contain at least one identity field (with identityNs)' });
  }
  const source = flatSource(body.sourceSpec);
  const prefix = 'params' in body.sourceSpec ? 'sourceSpec.params' : 'sourceSpec';
  if (/\s/.test(source.path)) {
    items.push({ path: `${prefix}.path`, message: 'must not contain spaces' });
  }
  if (
    source.baseConnectionId !== undefined &&
    source.cloudType !== undefined &&
    !CLOUD_TYPES_NEEDING_CONNECTION.includes(source.cloudType)
  ) {
    items.push({
      path: `${prefix}.baseConnectionId`,
      message: `must not be set when cloudType is ${source.cloudType}`,
    });
  }
  return items;
}
