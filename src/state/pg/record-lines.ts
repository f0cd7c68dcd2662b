import { RECORD_SCHEMA_ID } from '../record-schema-id.js';
import type { QuietRecordHead } from '../quiet-record.js';
import type { AudienceRecord } from '../schema.js';
import { validateRecordFast } from '../validate-record-fast.js';

/**
 * A row's record as a line (migration 7, `audiences.line`): the JSON of the record as
 * validated (its keys in the schema's order, as a state snapshot's line holds them, where
 * jsonb reorders them), written by audiencectl beside the jsonb body, with the record schema it
 * was validated against (`line_schema`). The server drops a line that is not the body's JSON
 * (the trigger of migration 7: a body changed by hand is read, and refused, as before). A plan
 * reads the line of a row validated against this release's schema, so that a row in the quiet
 * shape is left as a line (src/plan/quiet.ts) and no row's jsonb is made text by the server.
 */

/**
 * What a row is read as: its line when written for this record schema, else its body as text.
 * A line emptied by hand (`SET line = NULL`) keeps its schema (the trigger drops only a line
 * unlike the body): such a row is read from its body too.
 */
export const ROW_TEXT = (alias: string) =>
  `CASE WHEN ${alias}.line_schema = '${RECORD_SCHEMA_ID}' AND ${alias}.line IS NOT NULL THEN ${alias}.line ELSE ${alias}.body::text END`;

/**
 * The line written with a record: the record as the body written of it reads (its JSON, the keys
 * of each object in jsonb's order, validated: the schema's keys then in the schema's order, the
 * free-form ones, such as an observed body's, in jsonb's), so that a row reads the same from
 * either. Undefined for a record the fast validator does not take (read from its body alone).
 */
export function recordLine(record: unknown): { line: string; schema: string } | undefined {
  const valid = validateRecordFast(jsonbOrdered(JSON.parse(JSON.stringify(record)) as unknown));
  return valid === undefined ? undefined : { line: JSON.stringify(valid), schema: RECORD_SCHEMA_ID };
}

/** jsonb's order of an object's keys: the shorter first (in UTF-8 bytes), then bytewise. */
function jsonbKeyOrder(a: string, b: string): number {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length - y.length || Buffer.compare(x, y);
}

/** `value` with every object's keys in jsonb's order (as the server gives the body back). */
function jsonbOrdered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(jsonbOrdered);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  entries.sort(([a], [b]) => jsonbKeyOrder(a, b));
  return Object.fromEntries(entries.map(([key, item]) => [key, jsonbOrdered(item)]));
}

/** A JSON string needing no unescaping (no quote, backslash or control character). */
const TEXT = '"([^"\\\\\\x00-\\x1f]*)"';
const SKIPPED = '"[^"\\\\\\x00-\\x1f]*"';

/** The line's start, up to its applied spec (the keys of a quiet snapshot record, quiet-record.ts). */
const HEAD = new RegExp(
  [
    `^\\{"schemaVersion":[12],"sandbox":${TEXT},"key":${TEXT},(?:"operationId":${SKIPPED},)?`,
    `"audienceId":${TEXT},"deletionPolicy":"(Delete|Orphan)",(?:"manifestFile":${TEXT},)?`,
    `(?:"sourceRoot":${TEXT},)?(?:"repository":${TEXT},)?"applied":\\{"spec":\\{`,
  ].join(''),
);

/** What follows the applied spec: its hash and time, no run, nothing else. */
const TAIL_START = '},"hash":"';
const TAIL = new RegExp(`\\},"hash":${TEXT},"at":${SKIPPED}\\},"runs":\\[\\]\\}`, 'y');

/**
 * The quiet head of a row's text (a line: the jsonb's text never starts with schemaVersion), or
 * undefined. The applied spec is not read: a line is a validated record's JSON, in which it is the
 * object between `"spec":` and the applied hash (AppliedSpec's next keys). No facts: a row has
 * none (its line is trusted because the server keeps it the body's, not by its file's stat).
 */
export function quietRowHead(text: string): QuietRecordHead | undefined {
  const head = HEAD.exec(text);
  if (head === null || head[3] === '') return undefined;
  const at = text.lastIndexOf(TAIL_START);
  if (at < head[0].length) return undefined;
  TAIL.lastIndex = at;
  const tail = TAIL.exec(text);
  if (tail === null || TAIL.lastIndex !== text.length) return undefined;
  return {
    size: 0,
    mtimeMs: 0,
    ctimeMs: 0,
    ino: 0,
    sandbox: head[1]!,
    key: head[2]!,
    audienceId: head[3]!,
    deletionPolicy: head[4] as AudienceRecord['deletionPolicy'],
    manifestFile: head[5],
    sourceRoot: head[6],
    repository: head[7],
    hash: tail[1]!,
  };
}
