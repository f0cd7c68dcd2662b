import { readyAudience } from './audience-service.js';
import { ApiError, validationError, type ErrorItem } from './errors.js';
import { normaliseIdentityNs } from './identity-namespaces.js';
import type { AudienceRecord, FieldRecord } from './model.js';
import { PATCHABLE_FIELD_KEYS, PATCHABLE_KEYS, PatchAudienceBody, type PatchField } from './schema.js';
import type { Call, Runtime } from './service-context.js';
import { isPlainObject, parseOrThrow } from './validate.js';

const PATCHABLE: ReadonlySet<string> = new Set(PATCHABLE_KEYS);
const PATCHABLE_FIELD: ReadonlySet<string> = new Set(PATCHABLE_FIELD_KEYS);
const ONLY = 'PATCH can change only description, labels, ttlInDays and the labels of listed fields';

/**
 * PATCH replaces what it lists. A body that is not an object or has ill-typed values is
 * malformed (100910-400); a well-formed body asking for a change PATCH cannot make
 * (another property, a new field, a field's type or namespace) is a logical error (100960-422).
 */
export function patchAudience(
  runtime: Runtime,
  call: Call,
  audienceId: string,
  input: unknown,
): AudienceRecord {
  const audience = readyAudience(call, audienceId);
  if (!isPlainObject(input)) {
    throw validationError([{ path: 'body', message: 'must be a JSON object' }]);
  }
  const refused: ErrorItem[] = Object.keys(input)
    .filter((key) => !PATCHABLE.has(key))
    .map((key) => ({ path: key, message: 'cannot be changed by PATCH' }));
  if (refused.length > 0) throw new ApiError('100960-422', `${ONLY}.`, { items: refused });
  const body = parseOrThrow(PatchAudienceBody, input, 'body');
  const rawFields = Array.isArray(input['fields']) ? (input['fields'] as unknown[]) : [];
  const fieldProblems = checkFields(audience.fields, body.fields ?? [], rawFields);
  if (runtime.settings.compat.patchFields === 'labels-only') fieldProblems.push(...onlyLabels(rawFields));
  if (fieldProblems.length > 0) throw new ApiError('100960-422', `${ONLY}.`, { items: fieldProblems });

  if (body.description !== undefined) audience.description = body.description;
  if (body.labels !== undefined) audience.labels = body.labels;
  if (body.ttlInDays !== undefined) audience.ttlInDays = body.ttlInDays;
  for (const change of body.fields ?? []) replaceFieldLabels(audience.fields, change);
  audience.updatedBy = call.caller.actor;
  audience.version = (audience.version ?? 0) + 1;
  audience.updatedAt = Math.floor(call.nowMs / 1000);
  runtime.store.changed();
  return audience;
}

function checkFields(current: FieldRecord[], changes: PatchField[], raw: unknown[]): ErrorItem[] {
  const problems: ErrorItem[] = [];
  for (const [index, change] of changes.entries()) {
    const path = `fields[${index}]`;
    const rawField = raw[index];
    const extra = isPlainObject(rawField)
      ? Object.keys(rawField).filter((key) => !PATCHABLE_FIELD.has(key))
      : [];
    for (const key of extra) problems.push({ path: `${path}.${key}`, message: 'cannot be changed by PATCH' });
    const field = current.find((candidate) => candidate.name === change.name);
    if (!field) {
      problems.push({
        path: `${path}.name`,
        message: `no field named "${change.name}"; PATCH cannot add fields`,
      });
      continue;
    }
    if (change.type !== undefined && change.type !== field.type) {
      problems.push({
        path: `${path}.type`,
        message: `is ${field.type}; PATCH cannot change a field's type`,
      });
    }
    if (change.identityNs !== undefined && normaliseIdentityNs(change.identityNs) !== field.identityNs) {
      problems.push({
        path: `${path}.identityNs`,
        message: "PATCH cannot change a field's identity namespace",
      });
    }
  }
  return problems;
}

/** A listed field's labels are replaced; listing it without labels removes them. */
function replaceFieldLabels(fields: FieldRecord[], change: PatchField): void {
  const field = fields.find((candidate) => candidate.name === change.name);
  if (!field) return;
  if (change.labels === undefined) delete field.labels;
  else field.labels = change.labels;
}

/** A service that reads the page strictly: a listed field carries its name and labels, nothing else. */
function onlyLabels(raw: unknown[]): ErrorItem[] {
  const problems: ErrorItem[] = [];
  for (const [index, field] of raw.entries()) {
    if (!isPlainObject(field)) continue;
    for (const key of Object.keys(field).filter((name) => name !== 'name' && name !== 'labels')) {
      problems.push({
        path: `fields[${index}].${key}`,
        message: 'PATCH takes only name and labels of a field',
      });
    }
  }
  return problems;
}
