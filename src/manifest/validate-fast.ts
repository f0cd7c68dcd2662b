import { unsafeCharacter, type TextKind } from '../text/safe-text.js';
import { CLOUD_TYPE_NAMES, FIELD_TYPE_NAMES, KEY_PATTERN, SANDBOX_PATTERN } from './patterns.js';
import type { AudienceField, Ingestion, Manifest, Metadata, SourceParams, SourceSpec } from './schema.js';

/**
 * The common manifest validated without zod (a third of a parser thread's time went to
 * zod): for a document in the usual shape that the schema (schema.ts) accepts, exactly
 * what `Manifest.parse` gives (defaults filled, names trimmed, keys in the schema's
 * order); undefined for anything else, which the caller leaves to the full path, the
 * only one that produces diagnostics. Deliberately narrower than the schema: any doubt
 * (an unknown or undefined-valued key, an odd number, an unsafe character) answers
 * undefined. A property test (test/manifest/validate-fast.spec.ts) compares it with zod.
 */
export function validateManifestFast(document: unknown): Manifest | undefined {
  const root = record(document, ROOT_KEYS);
  if (!root || root.apiVersion !== 'audiencectl/v1' || root.kind !== 'ExternalAudience') return undefined;
  const metadata = validMetadata(root.metadata);
  const spec = metadata && validSpec(root.spec);
  const ingestion =
    spec && (root.ingestion === undefined ? { onCreate: true } : validIngestion(root.ingestion));
  if (!ingestion) return undefined;
  return {
    apiVersion: 'audiencectl/v1',
    kind: 'ExternalAudience',
    metadata: metadata,
    spec: spec,
    ingestion,
  };
}

type Loose = Record<string, unknown>;

const ROOT_KEYS = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'ingestion']);
const METADATA_KEYS = new Set(['name', 'sandbox', 'deletionPolicy', 'allowReplace', 'adopt']);
const SPEC_KEYS = new Set([
  ...['name', 'description', 'customAudienceId', 'fields', 'sourceSpec', 'ttlInDays'],
  ...['labels', 'audienceType', 'originName', 'namespace', 'tags'],
]);
const FIELD_KEYS = new Set(['name', 'type', 'identityNs', 'labels']);
const SOURCE_KEYS = new Set(['path', 'type', 'sourceType', 'cloudType', 'baseConnectionId']);
const WRAPPED_SOURCE_KEYS = new Set(['params']);
const INGESTION_KEYS = new Set(['onCreate', 'every', 'request', 'dataFilterStartTime']);
const FIELD_TYPES: ReadonlySet<unknown> = new Set(FIELD_TYPE_NAMES);
const CLOUD_TYPES: ReadonlySet<unknown> = new Set(CLOUD_TYPE_NAMES);
const WHOLE_NUMBER = /^\s*\d+\s*$/;
const DURATION = /^[1-9]\d*(m|h|d)$/;

/**
 * A plain object whose own keys are all `allowed` and none undefined (zod's handling of
 * an undefined value is not worth copying); undefined otherwise. Only own properties are
 * read afterwards: a `__proto__` key changed the prototype, which is refused here.
 */
function record(value: unknown, allowed: ReadonlySet<string>): Loose | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return undefined;
  const object = value as Loose;
  for (const key of Object.keys(object)) if (!allowed.has(key) || object[key] === undefined) return undefined;
  return object;
}

/** A string without the characters the schema refuses (safeString), unchanged. */
function safe(value: unknown, kind: TextKind): string | undefined {
  return typeof value === 'string' && unsafeCharacter(value, kind) === undefined ? value : undefined;
}

/** The schema's NonEmpty: safe, then trimmed, then at least one character. */
function nonEmpty(value: unknown): string | undefined {
  const trimmed = safe(value, 'name')?.trim();
  return trimmed ? trimmed : undefined;
}

function nonEmptyList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: string[] = [];
  for (const item of value as unknown[]) {
    const text = nonEmpty(item);
    if (text === undefined) return undefined;
    out.push(text);
  }
  return out;
}

/** An optional entry: absent is fine (`skip`), present must be valid (`bad`). */
const BAD = Symbol('bad');
function optional<T>(value: unknown, check: (value: unknown) => T | undefined): T | undefined | typeof BAD {
  if (value === undefined) return undefined;
  const checked = check(value);
  return checked === undefined ? BAD : checked;
}

function validMetadata(value: unknown): Metadata | undefined {
  const input = record(value, METADATA_KEYS);
  if (!input) return undefined;
  const { name, sandbox, deletionPolicy = 'Delete', allowReplace = false, adopt } = input;
  if (typeof name !== 'string' || name.length > 63 || !KEY_PATTERN.test(name)) return undefined;
  if (
    sandbox !== undefined &&
    (typeof sandbox !== 'string' || sandbox.length > 63 || !SANDBOX_PATTERN.test(sandbox))
  )
    return undefined;
  if (deletionPolicy !== 'Delete' && deletionPolicy !== 'Orphan') return undefined;
  if (typeof allowReplace !== 'boolean' || (adopt !== undefined && typeof adopt !== 'boolean'))
    return undefined;
  const out: Metadata = { name } as Metadata;
  if (sandbox !== undefined) out.sandbox = sandbox;
  out.deletionPolicy = deletionPolicy;
  out.allowReplace = allowReplace;
  if (adopt !== undefined) out.adopt = adopt;
  return out;
}

function validField(value: unknown): AudienceField | undefined {
  const input = record(value, FIELD_KEYS);
  if (!input || !FIELD_TYPES.has(input.type)) return undefined;
  const name = nonEmpty(input.name);
  const identityNs = optional(input.identityNs, nonEmpty);
  const labels = optional(input.labels, nonEmptyList);
  if (name === undefined || identityNs === BAD || labels === BAD) return undefined;
  const out = { name, type: input.type } as AudienceField;
  if (identityNs !== undefined) out.identityNs = identityNs;
  if (labels !== undefined) out.labels = labels;
  return out;
}

function validFields(value: unknown): AudienceField[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const out: AudienceField[] = [];
  for (const item of value as unknown[]) {
    const field = validField(item);
    if (!field) return undefined;
    out.push(field);
  }
  return out;
}

function validParams(value: unknown): SourceParams | undefined {
  const input = record(value, SOURCE_KEYS);
  if (!input || (input.type !== 'file' && input.type !== 'folder')) return undefined;
  const { sourceType, cloudType } = input;
  if (sourceType !== undefined && sourceType !== 'Cloud Storage') return undefined;
  if (cloudType !== undefined && !CLOUD_TYPES.has(cloudType)) return undefined;
  const path = nonEmpty(input.path);
  const baseConnectionId = optional(input.baseConnectionId, nonEmpty);
  if (path === undefined || baseConnectionId === BAD) return undefined;
  const out = { path, type: input.type } as SourceParams;
  if (sourceType !== undefined) out.sourceType = sourceType;
  if (cloudType !== undefined) out.cloudType = cloudType as SourceParams['cloudType'];
  if (baseConnectionId !== undefined) out.baseConnectionId = baseConnectionId;
  return out;
}

/** The union's first option (flat) unless the object has `params` (which the flat one refuses). */
function validSource(value: unknown): SourceSpec | undefined {
  const wrapped = record(value, WRAPPED_SOURCE_KEYS);
  if (wrapped && wrapped.params !== undefined) {
    const params = validParams(wrapped.params);
    return params && { params };
  }
  return validParams(value);
}

/** TtlInDays: a number, or a string of digits, then a whole number from 1 to 90. */
function validTtl(value: unknown): number | undefined {
  let days: number;
  if (typeof value === 'number') days = value;
  else if (typeof value === 'string' && WHOLE_NUMBER.test(value)) days = Number(value);
  else return undefined;
  return Number.isInteger(days) && days >= 1 && days <= 90 ? days : undefined;
}

function validSpec(value: unknown): Manifest['spec'] | undefined {
  const input = record(value, SPEC_KEYS);
  if (!input) return undefined;
  const name = nonEmpty(input.name);
  const description = optional(input.description, (v) => safe(v, 'multiline'));
  const customAudienceId = optional(input.customAudienceId, nonEmpty);
  const fields = validFields(input.fields);
  const sourceSpec = validSource(input.sourceSpec);
  const ttlInDays = optional(input.ttlInDays, validTtl);
  const labels = optional(input.labels, nonEmptyList);
  const audienceType = optional(input.audienceType, (v) => (v === 'people' ? v : undefined));
  const originName = nonEmpty(input.originName);
  const namespace = optional(input.namespace, nonEmpty);
  const tags = optional(input.tags, nonEmptyList);
  if (name === undefined || !fields || !sourceSpec || originName === undefined) return undefined;
  const optionals = [description, customAudienceId, ttlInDays, labels, audienceType, namespace, tags];
  if (optionals.includes(BAD)) return undefined;
  const out = { name } as Manifest['spec'];
  if (description !== undefined) out.description = description as string;
  if (customAudienceId !== undefined) out.customAudienceId = customAudienceId as string;
  out.fields = fields;
  out.sourceSpec = sourceSpec;
  if (ttlInDays !== undefined) out.ttlInDays = ttlInDays as number;
  if (labels !== undefined) out.labels = labels as string[];
  if (audienceType !== undefined) out.audienceType = 'people';
  out.originName = originName;
  if (namespace !== undefined) out.namespace = namespace as string;
  if (tags !== undefined) out.tags = tags as string[];
  return out;
}

/** `request`: a safe non-empty string, or a finite number, as a string. */
function validRequest(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  const text = safe(value, 'name');
  return text ? text : undefined;
}

function validIngestion(value: unknown): Ingestion | undefined {
  const input = record(value, INGESTION_KEYS);
  if (!input) return undefined;
  const { onCreate = true, every, dataFilterStartTime } = input;
  if (typeof onCreate !== 'boolean') return undefined;
  if (every !== undefined && (typeof every !== 'string' || !DURATION.test(every))) return undefined;
  const request = optional(input.request, validRequest);
  if (request === BAD) return undefined;
  if (
    dataFilterStartTime !== undefined &&
    !(
      typeof dataFilterStartTime === 'number' &&
      Number.isSafeInteger(dataFilterStartTime) &&
      dataFilterStartTime >= 0
    )
  )
    return undefined;
  const out: Ingestion = { onCreate };
  if (every !== undefined) out.every = every;
  if (request !== undefined) out.request = request;
  if (dataFilterStartTime !== undefined) out.dataFilterStartTime = dataFilterStartTime;
  return out;
}
