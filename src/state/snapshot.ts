import { BatchWriter, CacheFileWriter, type CacheBytes } from '../cache/cache-file.js';
import { JsonBytes, withLazyProperty } from '../text/lazy-property.js';
import type { AudienceRecord } from './schema.js';
import { SectionSpec, SnapshotSpecError, specDigest, SpecsSection } from './snapshot-specs.js';
import { QuietRecord, quietRecordHead } from './quiet-record.js';

/**
 * The state snapshot of a directory store: every record as last read and validated,
 * with the facts of its file, so a plan stats 10,000 record files instead of reading,
 * parsing and validating them. Only what the record files hold is in it. It is safe to
 * delete, never required, and a missing, truncated, edited or foreign one is not used
 * (it carries a digest of itself and of the record schema).
 */
export const SNAPSHOT_FORMAT = 'audiencectl-state-snapshot/4';
/** Its name in a state directory, beside meta.json. */
export { STATE_SNAPSHOT_NAME } from './paths.js';

/**
 * As git's index and the manifest cache: a file changed twice within one tick of its
 * clock keeps its facts, so an entry is trusted only for a file last modified (or
 * changed: chmod, rename) well before the listing that wrote the snapshot started.
 */
export const SNAPSHOT_RACY_MARGIN_MS = 2_000;

/** What stat says of a record file: a record write (temp file + rename) changes the inode. */
export type RecordFacts = { size: number; mtimeMs: number; ctimeMs: number; ino: number };

type Entry = [size: number, mtimeMs: number, ctimeMs: number, ino: number, record: AudienceRecord];

export type StateSnapshot = {
  /** When the listing that wrote it started. */
  scannedAt: number;
  /** By sandbox, then key (no `sandbox/key` string built per record, twice a plan). */
  records: Map<string, Map<string, Entry>>;
  /**
   * With readSnapshot's `quiet`: the quiet records, by sandbox then key (none of them in
   * `records`), each its own entry (its facts are its head's).
   */
  quiet?: Map<string, Map<string, QuietRecord>>;
  /** How many records it holds. */
  size: number;
};

/**
 * `index`: the length of the records' lines, after which the specs section starts
 * (snapshot-specs.ts); `digest`: the SHA-1 of the records' lines (the section's specs are
 * checked one by one, as they are read).
 */
type Header = {
  format: string;
  dir: string;
  schema: string;
  scannedAt: number;
  index: number;
  digest: string;
};

/** Where a record's applied spec is in the specs section: its offset, length and digest (specDigest). */
type SpecPlace = [at: number, length: number, digest: string];

function isSpecPlace(value: unknown): value is SpecPlace {
  if (!Array.isArray(value) || value.length !== 3) return false;
  const [at, length, digest] = value as unknown[];
  return (
    Number.isSafeInteger(at) &&
    (at as number) >= 0 &&
    Number.isSafeInteger(length) &&
    (length as number) >= 0 &&
    typeof digest === 'string'
  );
}

function isEntry(value: unknown): value is Entry {
  if (!Array.isArray(value) || value.length !== 5) return false;
  const [size, mtimeMs, ctimeMs, ino, record] = value as unknown[];
  return (
    typeof size === 'number' &&
    typeof mtimeMs === 'number' &&
    typeof ctimeMs === 'number' &&
    typeof ino === 'number' &&
    typeof record === 'object' &&
    record !== null &&
    typeof (record as AudienceRecord).sandbox === 'string' &&
    typeof (record as AudienceRecord).key === 'string'
  );
}

/**
 * The snapshot in `loaded` (loadSnapshotBytes: the header and the records' lines of the
 * file `file`) if it was written for the store `dir` with the record schema `schema`;
 * anything else (missing, unreadable, damaged, an older release's format) is undefined,
 * never an error. Its records are not validated again: the digest says they are the ones
 * written after validation (anyone able to write the snapshot can write the record files
 * as well). Each applied spec is read from the specs section, and checked, when first read.
 */
export function readSnapshot(
  loaded: CacheBytes,
  dir: string,
  schema: string,
  file: string,
  /** Leave the lines of quiet records (quiet-record.ts) as lines: their entries hold a QuietRecord. */
  quiet = false,
): StateSnapshot | undefined {
  if (!loaded) return undefined;
  try {
    const { bytes, end } = loaded;
    const header = JSON.parse(bytes.toString('utf8', 0, end)) as Header;
    const body = bytes.subarray(end + 1);
    if (
      header?.format !== SNAPSHOT_FORMAT ||
      header.dir !== dir ||
      header.schema !== schema ||
      typeof header.scannedAt !== 'number' ||
      header.index !== body.length ||
      header.digest !== loaded.digest
    )
      return undefined;
    const specs = new SpecsSection(file, bytes.subarray(0, end + 1), end + 1 + header.index);
    const records = new Map<string, Map<string, Entry>>();
    const quietRecords = new Map<string, Map<string, QuietRecord>>();
    // A quiet line found damaged when it is made an object (never: its shape is an entry's):
    // as a spec the section no longer holds, the plan is made again without the snapshot.
    const decoder = {
      decode: (start: number, tab: number, eol: number) => {
        const entry = entryOf(body, start, tab, eol, specs);
        if (entry === undefined) throw new SnapshotSpecError(file, 'a record');
        return entry[4];
      },
    };
    let size = 0;
    // With `quiet`, the lines are also one latin1 string (a copy of the bytes, one character a
    // byte: its places are the bytes'), in which the quiet heads are read where they lie: a
    // string decoded of each head was most of the reading's garbage.
    const text = quiet && LAZY.length === 1 ? body.toString('latin1') : undefined;
    // Line by line and part by part in the bytes, each entry decoded alone and each lazy part
    // left as bytes until read: decoded whole, the body was one string of every byte, which
    // cost a warm plan more CPU than the JSON.parse of the entries. A tab or newline byte is
    // never inside a UTF-8 sequence, so each part decodes as it did within the whole.
    for (let at = 0; at < body.length;) {
      const next = text === undefined ? body.indexOf(0x0a, at) : text.indexOf('\n', at);
      const eol = next < 0 ? body.length : next;
      const start = at;
      at = eol + 1;
      if (eol === start) continue;
      // JSON text holds no raw tab: the entry, then each lazy part (see LAZY), tab-separated.
      const tab = text === undefined ? body.indexOf(0x09, start) : text.indexOf('\t', start);
      if (tab < 0 || tab > eol) return undefined;
      // Its one lazy part empty (nothing observed), the head in the quiet shape: left as it is.
      const head = text !== undefined && tab + 1 === eol ? quietRecordHead(text, start, tab) : undefined;
      if (head !== undefined) {
        const { sandbox, key } = head;
        // A key written twice (not by us) counts once, as it is served once: its last line.
        const before =
          records.get(sandbox)?.delete(key) === true || quietRecords.get(sandbox)?.has(key) === true;
        if (!before) size += 1;
        let keys = quietRecords.get(sandbox);
        if (keys === undefined) quietRecords.set(sandbox, (keys = new Map<string, QuietRecord>()));
        keys.set(key, new QuietRecord(head, decoder, start, tab, eol));
        continue;
      }
      const entry = entryOf(body, start, tab, eol, specs);
      if (entry === undefined) return undefined;
      const { sandbox, key } = entry[4];
      let keys = records.get(sandbox);
      if (keys === undefined) records.set(sandbox, (keys = new Map<string, Entry>()));
      // A key written twice (not by us) counts once, as it is served once.
      if (!keys.has(key) && quietRecords.get(sandbox)?.delete(key) !== true) size += 1;
      keys.set(key, entry);
    }
    return { scannedAt: header.scannedAt, records, size, ...(quiet ? { quiet: quietRecords } : {}) };
  } catch {
    return undefined;
  }
}

/** The entry of the line from `start` to `eol` (its first tab at `tab`), or undefined if it is not one we wrote. */
function entryOf(
  body: Buffer,
  start: number,
  first: number,
  eol: number,
  specs: SpecsSection,
): Entry | undefined {
  let tab = first;
  const entry = JSON.parse(body.toString('utf8', start, tab)) as unknown;
  if (!isEntry(entry)) return undefined;
  for (let i = 0; i < LAZY.length; i += 1) {
    const { parent, key, replace } = LAZY[i]!;
    const partAt = tab + 1;
    const last = i === LAZY.length - 1;
    tab = last ? eol : body.indexOf(0x09, partAt);
    if (tab < 0 || tab > eol) return undefined;
    // The last part ends the line: it holds no tab either.
    if (last && eol > partAt && body.lastIndexOf(0x09, eol - 1) >= partAt) return undefined;
    const owner = parent(entry[4]);
    const held = typeof owner === 'object' && owner !== null && key in owner;
    if (held !== tab > partAt) return undefined;
    if (held) entry[4] = replace(entry[4], withLazyProperty(owner, key, new JsonBytes(body, partAt, tab)));
  }
  // The applied spec, in the specs section: its place in the entry.
  const { applied } = entry[4] as { applied?: unknown };
  if (typeof applied === 'object' && applied !== null && 'spec' in applied) {
    const place = applied.spec;
    if (!isSpecPlace(place)) return undefined;
    const [specAt, length, digest] = place;
    entry[4].applied = withLazyProperty(
      applied,
      'spec',
      new SectionSpec(specs, specAt, length, digest),
    ) as AudienceRecord['applied'];
  }
  return entry;
}

/**
 * Parts of a record a no-change plan never reads, kept as JSON text among the records'
 * lines and parsed when first read: what the service last returned (only a refresh reads
 * it). See lazy-property.ts. (The applied spec, two thirds of a record, is in the specs
 * section instead: not even read.)
 */
const LAZY: ReadonlyArray<{
  parent: (record: Record<string, unknown>) => unknown;
  key: string;
  /** The record with `owner` (a copy of the parent with the part made lazy) in the parent's place. */
  replace: (record: AudienceRecord, owner: object) => AudienceRecord;
}> = [{ parent: (record) => record, key: 'observed', replace: (_record, owner) => owner as AudienceRecord }];

/**
 * One line: the entry with a placeholder for each lazy part, and for the applied spec its
 * place in the specs section (`specs`, to which its JSON is added), then the parts' JSON.
 */
function lineOf(
  facts: RecordFacts,
  record: AudienceRecord,
  specs: { texts: string[]; length: number },
): string {
  const head: Record<string, unknown> = { ...record };
  if (record.applied) {
    const applied: Record<string, unknown> = { ...record.applied };
    if (applied.spec !== undefined) {
      const text = JSON.stringify(applied.spec);
      const length = Buffer.byteLength(text);
      applied.spec = [specs.length, length, specDigest(text)] satisfies SpecPlace;
      specs.texts.push(text);
      specs.length += length;
    }
    head.applied = applied;
  }
  const texts = LAZY.map(({ parent, key }) => {
    const owner = parent(head) as Record<string, unknown> | undefined;
    if (owner === undefined || owner[key] === undefined) return '';
    const text = JSON.stringify(owner[key]);
    owner[key] = 0;
    return text;
  });
  return `${JSON.stringify([facts.size, facts.mtimeMs, facts.ctimeMs, facts.ino, head])}\t${texts.join('\t')}\n`;
}

/** The record of `sandbox/key` if the snapshot holds it with exactly these facts, old enough to be trusted. */
export function trustedRecord(
  snapshot: StateSnapshot,
  sandbox: string,
  key: string,
  facts: RecordFacts,
): AudienceRecord | undefined {
  const served = trustedEntry(snapshot, sandbox, key, facts);
  return served instanceof QuietRecord ? served.record() : served;
}

/** trustedRecord, a quiet record left as its line (readSnapshot's `quiet`). */
export function trustedEntry(
  snapshot: StateSnapshot,
  sandbox: string,
  key: string,
  facts: RecordFacts,
): AudienceRecord | QuietRecord | undefined {
  const entry = snapshot.records.get(sandbox)?.get(key);
  if (entry !== undefined)
    return heldFacts(snapshot, facts, entry[0], entry[1], entry[2], entry[3]) ? entry[4] : undefined;
  const quiet = snapshot.quiet?.get(sandbox)?.get(key);
  if (quiet === undefined) return undefined;
  return heldFacts(snapshot, facts, quiet.size, quiet.mtimeMs, quiet.ctimeMs, quiet.ino) ? quiet : undefined;
}

/** Whether an entry holding these facts is trusted for a file of `facts`: the same, and old enough. */
function heldFacts(
  snapshot: StateSnapshot,
  facts: RecordFacts,
  size: number,
  mtimeMs: number,
  ctimeMs: number,
  ino: number,
): boolean {
  return (
    size === facts.size &&
    mtimeMs === facts.mtimeMs &&
    ctimeMs === facts.ctimeMs &&
    ino === facts.ino &&
    Math.max(facts.mtimeMs, facts.ctimeMs) < snapshot.scannedAt - SNAPSHOT_RACY_MARGIN_MS
  );
}

/**
 * Writes the snapshot through a temporary file and a rename, so a reader never sees
 * half of one. Failing (a read-only state directory) is not an error: it only saves time.
 * The records' lines first, each written as it is made (not all held until their length
 * was known: 4.4 MB of strings more on a cold plan's last stretch, at 10,000 records), then
 * the specs they place. The header, written last, names the lines' length: its line is
 * padded with spaces (JSON allows them) to the length it would have with the largest.
 */
export function writeSnapshot(
  file: string,
  dir: string,
  schema: string,
  scannedAt: number,
  entries: ReadonlyArray<{ facts: RecordFacts; record: AudienceRecord }>,
): boolean {
  let index = 0;
  const json = (digest: string, length: number) =>
    JSON.stringify({
      format: SNAPSHOT_FORMAT,
      dir,
      schema,
      scannedAt,
      index: length,
      digest,
    } satisfies Header);
  const width = json('0'.repeat(40), Number.MAX_SAFE_INTEGER).length;
  const writer = new CacheFileWriter(file, (digest) => json(digest, index).padEnd(width));
  const specs = { texts: [] as string[], length: 0 };
  const batches = new BatchWriter(writer);
  for (const { facts, record } of entries) batches.add(lineOf(facts, record, specs));
  batches.flush();
  index = batches.written;
  batches.hashed = false;
  for (const text of specs.texts) batches.add(text);
  batches.flush();
  return writer.finish();
}
