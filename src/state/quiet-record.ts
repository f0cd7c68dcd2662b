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

/**
 * A JSON string of printable ASCII that needs no unescaping: no quote, backslash, control
 * character or byte past 0x7f. The lines are read as latin1 (one character a byte, so a place
 * in the text is a place in the bytes): text that is not ASCII would read wrong there, and is
 * left to the long way (entryOf decodes the line's bytes as UTF-8).
 */
const TEXT = '"([\\x20\\x21\\x23-\\x5b\\x5d-\\x7f]*)"';
/** TEXT, not captured: what no quiet pair compares (operation id, spec digest, applied time). */
const SKIPPED = '"[\\x20\\x21\\x23-\\x5b\\x5d-\\x7f]*"';
/** A JSON number (the facts: sizes, inodes, times with a fraction of a millisecond). */
const NUMBER = '(-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)';
const WHOLE = '(?:0|[1-9][0-9]*)';

/**
 * Sticky: run at a line's start in the text of every line, not on a string made of each line
 * (10,000 strings, and their garbage, a warm plan).
 */
const QUIET = new RegExp(
  [
    `\\[${NUMBER},${NUMBER},${NUMBER},${NUMBER},`,
    `\\{"schemaVersion":[12],"sandbox":${TEXT},"key":${TEXT},(?:"operationId":${SKIPPED},)?`,
    `"audienceId":${TEXT},"deletionPolicy":"(Delete|Orphan)",(?:"manifestFile":${TEXT},)?`,
    `(?:"sourceRoot":${TEXT},)?(?:"repository":${TEXT},)?`,
    `"applied":\\{"spec":\\[${WHOLE},${WHOLE},${SKIPPED}\\],"hash":${TEXT},"at":${SKIPPED}\\},"runs":\\[\\]\\}\\]`,
  ].join(''),
  'y',
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

/**
 * The quiet record the entry head from `start` to `end` of `text` (the JSON before a snapshot
 * line's first tab; the text as latin1, one character a byte) holds, or undefined.
 */
export function quietRecordHead(text: string, start = 0, end = text.length): QuietRecordHead | undefined {
  QUIET.lastIndex = start;
  const m = QUIET.exec(text);
  if (m === null || QUIET.lastIndex !== end || m[7] === '') return undefined;
  return {
    size: Number(m[1]),
    mtimeMs: Number(m[2]),
    ctimeMs: Number(m[3]),
    ino: Number(m[4]),
    sandbox: m[5]!,
    key: m[6]!,
    audienceId: m[7]!,
    deletionPolicy: m[8] as AudienceRecord['deletionPolicy'],
    manifestFile: m[9],
    sourceRoot: m[10],
    repository: m[11],
    hash: m[12]!,
  };
}

/** How a quiet record is made an object when it must be: its snapshot line decoded as readSnapshot decodes any other. */
export type RecordDecoder = { decode(start: number, tab: number, eol: number): AudienceRecord };

/**
 * A record the state snapshot serves that `quietRecordHead` found quiet: its head's fields,
 * and its line, decoded only if the plan needs the record after all (quiet-pairs.ts). The
 * snapshot's entry itself (no head object and entry array beside it): 10,000 of them live
 * through a warm plan, and each object that lives is copied by the collector.
 */
export class QuietRecord implements QuietRecordHead {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly ino: number;
  readonly sandbox: string;
  readonly key: string;
  readonly audienceId: string;
  readonly deletionPolicy: AudienceRecord['deletionPolicy'];
  readonly manifestFile: string | undefined;
  readonly sourceRoot: string | undefined;
  readonly repository: string | undefined;
  readonly hash: string;
  private made: AudienceRecord | undefined;

  constructor(
    head: QuietRecordHead,
    private readonly decoder: RecordDecoder,
    private readonly start: number,
    private readonly tab: number,
    private readonly eol: number,
  ) {
    this.size = head.size;
    this.mtimeMs = head.mtimeMs;
    this.ctimeMs = head.ctimeMs;
    this.ino = head.ino;
    this.sandbox = head.sandbox;
    this.key = head.key;
    this.audienceId = head.audienceId;
    this.deletionPolicy = head.deletionPolicy;
    this.manifestFile = head.manifestFile;
    this.sourceRoot = head.sourceRoot;
    this.repository = head.repository;
    this.hash = head.hash;
  }

  /** The record as readSnapshot would have served it (the same object each time). */
  record(): AudienceRecord {
    return (this.made ??= this.decoder.decode(this.start, this.tab, this.eol));
  }
}
