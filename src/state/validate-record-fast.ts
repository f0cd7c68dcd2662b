import { CLOUD_TYPE_NAMES, FIELD_TYPE_NAMES } from '../manifest/patterns.js';
import { COMMIT_ID } from './commit-id.js';
import type { AppliedRevision, AppliedSpec, AudienceRecord, Intent, RunRecord } from './schema.js';

/**
 * An audience record validated without zod (a cold plan loaded zod, and compiled its schemas,
 * for the records alone): for a record in the shapes audiencectl writes that the schema
 * (schema.ts, AudienceRecord) accepts, exactly what `AudienceRecord.parse` gives (the fields in
 * the schema's order, defaults filled, unknown keys left out); undefined for anything else,
 * which the caller leaves to zod, the only one that words a refusal. Deliberately narrower than
 * the schema: a key present with an undefined value, an object not plain, a number not finite,
 * a run time the schema would read as milliseconds, and a create in progress (pendingCreate,
 * with its manifest body and caught fields) answer undefined. A property test
 * (test/state/validate-record-fast.spec.ts) compares it with zod.
 */
export function validateRecordFast(json: unknown): AudienceRecord | undefined {
  const input = plain(json);
  if (!input || has(input, 'pendingCreate')) return undefined;
  const { schemaVersion, sandbox, key, deletionPolicy = 'Delete' } = input;
  if ((schemaVersion !== 1 && schemaVersion !== 2) || typeof sandbox !== 'string' || typeof key !== 'string')
    return undefined;
  if (deletionPolicy !== 'Delete' && deletionPolicy !== 'Orphan') return undefined;
  if (input.deletionPolicy === undefined && has(input, 'deletionPolicy')) return undefined;
  const operationId = optional(input, 'operationId', text);
  const audienceId = optional(input, 'audienceId', text);
  const manifestFile = optional(input, 'manifestFile', text);
  const sourceRoot = optional(input, 'sourceRoot', text);
  const repository = optional(input, 'repository', text);
  const applied = optional(input, 'applied', appliedSpec);
  const observed = optional(input, 'observed', observedBody);
  const runs = input.runs === undefined && !has(input, 'runs') ? [] : list(input.runs, run);
  const intent = optional(input, 'intent', intentOf);
  const imported = optional(input, 'imported', importedMark);
  const patchRefused = optional(input, 'patchRefused', refusedPatch);
  const unknownAfterPatch = optional(input, 'unknownAfterPatch', unknownPaths);
  const unansweredRun = optional(input, 'unansweredRun', intentOf);
  const unansweredDelete = optional(input, 'unansweredDelete', intentOf);
  const blocked = optional(input, 'blocked', block);
  if (!runs) return undefined;
  const parts = [operationId, audienceId, manifestFile, sourceRoot, repository, applied, observed];
  const more = [intent, imported, patchRefused, unknownAfterPatch, unansweredRun, unansweredDelete, blocked];
  if (parts.includes(BAD) || more.includes(BAD)) return undefined;
  const out = { schemaVersion, sandbox, key } as AudienceRecord;
  if (operationId !== undefined) out.operationId = operationId as string;
  if (audienceId !== undefined) out.audienceId = audienceId as string;
  out.deletionPolicy = deletionPolicy;
  if (manifestFile !== undefined) out.manifestFile = manifestFile as string;
  if (sourceRoot !== undefined) out.sourceRoot = sourceRoot as string;
  if (repository !== undefined) out.repository = repository as string;
  if (applied !== undefined) out.applied = applied as AppliedSpec;
  if (observed !== undefined) out.observed = observed as NonNullable<AudienceRecord['observed']>;
  out.runs = runs;
  if (intent !== undefined) out.intent = intent as Intent;
  if (imported !== undefined) out.imported = imported as NonNullable<AudienceRecord['imported']>;
  if (patchRefused !== undefined)
    out.patchRefused = patchRefused as NonNullable<AudienceRecord['patchRefused']>;
  if (unknownAfterPatch !== undefined)
    out.unknownAfterPatch = unknownAfterPatch as NonNullable<AudienceRecord['unknownAfterPatch']>;
  if (unansweredRun !== undefined) out.unansweredRun = unansweredRun as Intent;
  if (unansweredDelete !== undefined) out.unansweredDelete = unansweredDelete as Intent;
  if (blocked !== undefined) out.blocked = blocked as NonNullable<AudienceRecord['blocked']>;
  return out;
}

type Loose = Record<string, unknown>;

/** What a present entry that the schema (or this validator) refuses gives: the record is left to zod. */
const BAD = Symbol('bad');
type Checked<T> = T | undefined | typeof BAD;

const FIELD_TYPES: ReadonlySet<unknown> = new Set(FIELD_TYPE_NAMES);
const CLOUD_TYPES: ReadonlySet<unknown> = new Set(CLOUD_TYPE_NAMES);
const OBSERVED_SOURCES: ReadonlySet<unknown> = new Set(['operation', 'patch', 'audiences']);
const INTENT_KINDS: ReadonlySet<unknown> = new Set(['create', 'patch', 'run', 'delete']);
/**
 * Run times above this are read by the schema as milliseconds (or microseconds) and divided
 * (aep/epoch.ts, asEpochSeconds): such a record, written by an older release, is left to zod.
 * Not imported from there: its module is bundled with zod's.
 */
const MAX_EPOCH_SECONDS = 1e11;

/**
 * A plain object (JSON's), or undefined. zod reads only the keys it knows, so the others are
 * left out here too, whatever they hold (a `__proto__` one included).
 */
function plain(value: unknown): Loose | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null ? (value as Loose) : undefined;
}

/**
 * Whether `object` has `key`, its own or inherited, as zod's `key in input` reads it: zod keeps
 * a known key that holds undefined (and leaves out an absent one), not worth copying, so such
 * a record is left to it.
 */
function has(object: Loose, key: string): boolean {
  return key in object;
}

/** An optional entry: absent gives undefined, present must pass `check`, else BAD. */
function optional<T>(object: Loose, key: string, check: (value: unknown) => T | undefined): Checked<T> {
  const value = object[key];
  if (value === undefined) return has(object, key) ? BAD : undefined;
  const checked = check(value);
  return checked === undefined ? BAD : checked;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** z.number(): finite. */
function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** z.number().int(): a safe integer. */
function whole(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
}

/** z.number().int().nonnegative(). */
function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/** RunTime, where the schema's preprocessing leaves the number as it is (seconds). */
function runTime(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value <= MAX_EPOCH_SECONDS
    ? value
    : undefined;
}

function isTrue(value: unknown): true | undefined {
  return value === true ? true : undefined;
}

function flag(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

/** z.array(item): a new array of what `item` gives for each entry (a hole is undefined, refused). */
function list<T>(value: unknown, item: (value: unknown) => T | undefined): T[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: T[] = [];
  for (let i = 0; i < value.length; i += 1) {
    const checked = item((value as unknown[])[i]);
    if (checked === undefined) return undefined;
    out.push(checked);
  }
  return out;
}

function texts(value: unknown): string[] | undefined {
  return list(value, text);
}

function run(value: unknown): RunRecord | undefined {
  const input = plain(value);
  if (!input) return undefined;
  const { runId, status } = input;
  const createdAt = runTime(input.createdAt);
  const dataFilterStartTime = finite(input.dataFilterStartTime);
  if (typeof runId !== 'string' || typeof status !== 'string') return undefined;
  if (createdAt === undefined || dataFilterStartTime === undefined) return undefined;
  const dataFilterEndTime = optional(input, 'dataFilterEndTime', runTime);
  const reason = optional(input, 'reason', text);
  const failureReason = optional(input, 'failureReason', text);
  const formerAudienceId = optional(input, 'formerAudienceId', text);
  const countedBefore = optional(input, 'countedBefore', count);
  if ([dataFilterEndTime, reason, failureReason, formerAudienceId, countedBefore].includes(BAD))
    return undefined;
  const out: RunRecord = { runId, status, createdAt, dataFilterStartTime };
  if (dataFilterEndTime !== undefined) out.dataFilterEndTime = dataFilterEndTime as number;
  if (reason !== undefined) out.reason = reason as string;
  if (failureReason !== undefined) out.failureReason = failureReason as string;
  if (formerAudienceId !== undefined) out.formerAudienceId = formerAudienceId as string;
  if (countedBefore !== undefined) out.countedBefore = countedBefore as number;
  return out;
}

function intentOf(value: unknown): Intent | undefined {
  const input = plain(value);
  if (!input) return undefined;
  const { id, kind, startedAt } = input;
  if (typeof id !== 'string' || !INTENT_KINDS.has(kind) || typeof startedAt !== 'string') return undefined;
  const specHash = optional(input, 'specHash', text);
  const unseenChanged = optional(input, 'unseenChanged', texts);
  const runReason = optional(input, 'runReason', text);
  const dataFilterStartTime = optional(input, 'dataFilterStartTime', finite);
  const knownRunIds = optional(input, 'knownRunIds', texts);
  const listedAll = optional(input, 'listedAll', flag);
  const countedBefore = optional(input, 'countedBefore', count);
  const forReplace = optional(input, 'forReplace', isTrue);
  const audienceId = optional(input, 'audienceId', text);
  const entries = [specHash, unseenChanged, runReason, dataFilterStartTime, knownRunIds, listedAll];
  if (entries.includes(BAD) || [countedBefore, forReplace, audienceId].includes(BAD)) return undefined;
  const out = { id, kind, startedAt } as Intent;
  if (specHash !== undefined) out.specHash = specHash as string;
  if (unseenChanged !== undefined) out.unseenChanged = unseenChanged as string[];
  if (runReason !== undefined) out.runReason = runReason as string;
  if (dataFilterStartTime !== undefined) out.dataFilterStartTime = dataFilterStartTime as number;
  if (knownRunIds !== undefined) out.knownRunIds = knownRunIds as string[];
  if (listedAll !== undefined) out.listedAll = listedAll as boolean;
  if (countedBefore !== undefined) out.countedBefore = countedBefore as number;
  if (forReplace !== undefined) out.forReplace = true;
  if (audienceId !== undefined) out.audienceId = audienceId as string;
  return out;
}

function revisionOf(value: unknown): AppliedRevision | undefined {
  const input = plain(value);
  if (!input) return undefined;
  const { commit, committedAt } = input;
  if (typeof commit !== 'string' || !COMMIT_ID.test(commit) || typeof committedAt !== 'string')
    return undefined;
  return { commit, committedAt };
}

type NormalSpec = AppliedSpec['spec'];
type NormalField = NormalSpec['fields'][number];

function normalField(value: unknown): NormalField | undefined {
  const input = plain(value);
  if (!input) return undefined;
  const { name, type } = input;
  const labels = texts(input.labels);
  if (typeof name !== 'string' || !FIELD_TYPES.has(type) || !labels) return undefined;
  const identityNs = optional(input, 'identityNs', text);
  if (identityNs === BAD) return undefined;
  const out = { name, type } as NormalField;
  if (identityNs !== undefined) out.identityNs = identityNs;
  out.labels = labels;
  return out;
}

function normalSource(value: unknown): NormalSpec['sourceSpec'] | undefined {
  const input = plain(value);
  if (!input) return undefined;
  const { path, type } = input;
  if (typeof path !== 'string' || (type !== 'file' && type !== 'folder')) return undefined;
  const sourceType = optional(input, 'sourceType', text);
  const cloudType = optional(input, 'cloudType', (v) => (CLOUD_TYPES.has(v) ? v : undefined));
  const baseConnectionId = optional(input, 'baseConnectionId', text);
  if (sourceType === BAD || cloudType === BAD || baseConnectionId === BAD) return undefined;
  const out: NormalSpec['sourceSpec'] = { path, type };
  if (sourceType !== undefined) out.sourceType = sourceType;
  if (cloudType !== undefined) out.cloudType = cloudType as NormalSpec['sourceSpec']['cloudType'];
  if (baseConnectionId !== undefined) out.baseConnectionId = baseConnectionId;
  return out;
}

function normalSpec(value: unknown): NormalSpec | undefined {
  const input = plain(value);
  if (!input) return undefined;
  const { name, description, audienceType, originName, namespace } = input;
  if (typeof name !== 'string' || typeof description !== 'string') return undefined;
  if (typeof audienceType !== 'string' || typeof originName !== 'string' || typeof namespace !== 'string')
    return undefined;
  const customAudienceId = optional(input, 'customAudienceId', text);
  const fields = list(input.fields, normalField);
  const sourceSpec = normalSource(input.sourceSpec);
  const ttlInDays = whole(input.ttlInDays);
  const labels = texts(input.labels);
  const tags = texts(input.tags);
  if (customAudienceId === BAD || !fields || !sourceSpec || ttlInDays === undefined || !labels || !tags)
    return undefined;
  const out = { name, description } as NormalSpec;
  if (customAudienceId !== undefined) out.customAudienceId = customAudienceId;
  out.fields = fields;
  out.sourceSpec = sourceSpec;
  out.ttlInDays = ttlInDays;
  out.labels = labels;
  out.audienceType = audienceType;
  out.originName = originName;
  out.namespace = namespace;
  out.tags = tags;
  return out;
}

function appliedSpec(value: unknown): AppliedSpec | undefined {
  const input = plain(value);
  if (!input) return undefined;
  const { hash, at } = input;
  const spec = normalSpec(input.spec);
  if (!spec || typeof hash !== 'string' || typeof at !== 'string') return undefined;
  const ingestionRequest = optional(input, 'ingestionRequest', text);
  const revision = optional(input, 'revision', revisionOf);
  if (ingestionRequest === BAD || revision === BAD) return undefined;
  const out = { spec, hash } as AppliedSpec;
  if (ingestionRequest !== undefined) out.ingestionRequest = ingestionRequest;
  out.at = at;
  if (revision !== undefined) out.revision = revision;
  return out;
}

/**
 * z.record(z.string(), z.unknown()): a copy of the object, its values as they are, a
 * `__proto__` key left out. One with a `constructor` key is left to zod, whose test of a
 * plain object reads it.
 */
function body(value: unknown): Loose | undefined {
  const input = plain(value);
  if (!input || Object.getPrototypeOf(input) === null || Object.hasOwn(input, 'constructor'))
    return undefined;
  const out: Loose = {};
  for (const key of Object.keys(input)) if (key !== '__proto__') out[key] = input[key];
  return out;
}

function observedBody(value: unknown): NonNullable<AudienceRecord['observed']> | undefined {
  const input = plain(value);
  if (!input) return undefined;
  const { source, at } = input;
  const copied = body(input.body);
  if (!OBSERVED_SOURCES.has(source) || typeof at !== 'string' || !copied) return undefined;
  return { source, at, body: copied } as NonNullable<AudienceRecord['observed']>;
}

function importedMark(value: unknown): NonNullable<AudienceRecord['imported']> | undefined {
  const input = plain(value);
  if (!input || typeof input.at !== 'string') return undefined;
  const ingestionRequest = optional(input, 'ingestionRequest', text);
  const revision = optional(input, 'revision', revisionOf);
  const name = optional(input, 'name', text);
  const unverified = optional(input, 'unverified', isTrue);
  const runsCounted = optional(input, 'runsCounted', count);
  if ([ingestionRequest, revision, name, unverified, runsCounted].includes(BAD)) return undefined;
  const out: NonNullable<AudienceRecord['imported']> = { at: input.at };
  if (ingestionRequest !== undefined) out.ingestionRequest = ingestionRequest as string;
  if (revision !== undefined) out.revision = revision as AppliedRevision;
  if (name !== undefined) out.name = name as string;
  if (unverified !== undefined) out.unverified = true;
  if (runsCounted !== undefined) out.runsCounted = runsCounted as number;
  return out;
}

function refusedPatch(value: unknown): NonNullable<AudienceRecord['patchRefused']> | undefined {
  const input = plain(value);
  if (!input) return undefined;
  const { at, specHash, message } = input;
  if (typeof at !== 'string' || typeof specHash !== 'string' || typeof message !== 'string') return undefined;
  return { at, specHash, message };
}

function unknownPaths(value: unknown): NonNullable<AudienceRecord['unknownAfterPatch']> | undefined {
  const input = plain(value);
  if (!input || typeof input.at !== 'string') return undefined;
  const paths = texts(input.paths);
  return paths && { at: input.at, paths };
}

function block(value: unknown): NonNullable<AudienceRecord['blocked']> | undefined {
  const input = plain(value);
  if (!input) return undefined;
  const { code, message, at } = input;
  if (typeof code !== 'string' || typeof message !== 'string' || typeof at !== 'string') return undefined;
  const name = optional(input, 'name', text);
  const found = optional(input, 'found', texts);
  if (name === BAD || found === BAD) return undefined;
  const out: NonNullable<AudienceRecord['blocked']> = { code, message, at };
  if (name !== undefined) out.name = name;
  if (found !== undefined) out.found = found;
  return out;
}
