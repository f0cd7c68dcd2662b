import type { AudienceRecord } from './schema.js';

/**
 * A state snapshot line's entry (snapshot.ts lineOf: the record file's facts and the record,
 * its applied spec placed in the specs section) read for what a quiet pair needs
 * (src/plan/quiet.ts), without JSON.parse and without making the record an object: a record
 * in the one shape most of a large store's records have, holding nothing a no-change plan reads
 * beyond its key, audience id, deletion policy, file, directory, repository and applied hash.
 * Keys in the schema's order (the order validation writes them), none but these: no run, no
 * intent, no block, no refused or unsettled PATCH, no import, no revision or ingestion request
 * applied, and nothing observed (the line's lazy part empty: checked by the caller). Anything
 * else is undefined, and the entry is read as before.
 */

/** A JSON string that needs no unescaping: no quote, backslash or control character. */
const TEXT = '"([^"\\\\\\u0000-\\u001f]*)"';
/** A JSON number (the facts: sizes, inodes, times with a fraction of a millisecond). */
const NUMBER = '(-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)';
const WHOLE = '(?:0|[1-9][0-9]*)';

const QUIET = new RegExp(
  [
    `^\\[${NUMBER},${NUMBER},${NUMBER},${NUMBER},`,
    `\\{"schemaVersion":[12],"sandbox":${TEXT},"key":${TEXT},(?:"operationId":${TEXT},)?`,
    `"audienceId":${TEXT},"deletionPolicy":"(Delete|Orphan)",(?:"manifestFile":${TEXT},)?`,
    `(?:"sourceRoot":${TEXT},)?(?:"repository":${TEXT},)?`,
    `"applied":\\{"spec":\\[${WHOLE},${WHOLE},${TEXT}\\],"hash":${TEXT},"at":${TEXT}\\},"runs":\\[\\]\\}\\]$`,
  ].join(''),
);

/** What a quiet record's entry says; its facts as the entry holds them. */
export type QuietRecordHead = {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  sandbox: string;
  key: string;
  audienceId: string;
  deletionPolicy: AudienceRecord['deletionPolicy'];
  manifestFile: string | undefined;
  sourceRoot: string | undefined;
  repository: string | undefined;
  hash: string;
};

/** The quiet record the entry `head` (the JSON before a snapshot line's first tab) holds, or undefined. */
export function quietRecordHead(head: string): QuietRecordHead | undefined {
  const m = QUIET.exec(head);
  if (m === null || m[8] === '') return undefined;
  return {
    size: Number(m[1]),
    mtimeMs: Number(m[2]),
    ctimeMs: Number(m[3]),
    ino: Number(m[4]),
    sandbox: m[5]!,
    key: m[6]!,
    audienceId: m[8]!,
    deletionPolicy: m[9] as AudienceRecord['deletionPolicy'],
    manifestFile: m[10],
    sourceRoot: m[11],
    repository: m[12],
    hash: m[14]!,
  };
}

/** How a quiet record is made an object when it must be: its snapshot line decoded as readSnapshot decodes any other. */
export type RecordDecoder = { decode(start: number, tab: number, eol: number): AudienceRecord };

/**
 * A record the state snapshot serves that `quietRecordHead` found quiet: its head's fields,
 * and its line, decoded only if the plan needs the record after all (quiet-pairs.ts).
 */
export class QuietRecord {
  private made: AudienceRecord | undefined;

  constructor(
    readonly head: QuietRecordHead,
    private readonly decoder: RecordDecoder,
    private readonly start: number,
    private readonly tab: number,
    private readonly eol: number,
  ) {}

  /** The record as readSnapshot would have served it (the same object each time). */
  record(): AudienceRecord {
    return (this.made ??= this.decoder.decode(this.start, this.tab, this.eol));
  }
}
