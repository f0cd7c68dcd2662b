import { rmSync } from 'node:fs';
import path from 'node:path';
import { setImmediate } from 'node:timers/promises';
import type { CacheBytes } from '../cache/cache-file.js';
import { readMetaFile, readTextSync } from './read-json.js';
import { listRecordIds } from './read.js';
import type { parseRecordText } from './read-record.js';
import type { PasteFlags } from '../text/paste-flags.js';
import type { AudienceRecord, RecordedState } from './schema.js';
import { readSnapshot, trustedEntry, writeSnapshot, type RecordFacts } from './snapshot.js';
import { QuietRecord } from './quiet-record.js';
import { loadSnapshotBytes, SnapshotSpecError } from './snapshot-specs.js';
import { metaPath } from './paths.js';
import {
  factsOf,
  recordFileFacts,
  recordFiles,
  statRecordFacts,
  type StattedRecords,
} from './record-names.js';
import { RECORD_SCHEMA_ID } from './record-schema-id.js';
import { scrubFailureReasons } from './scrub-record.js';

/**
 * Records read for real between two turns of the event loop: the parser thread's replies,
 * and the next chunks it is sent, wait for one. Read all at once (10,000 in a cold plan),
 * they left that thread idle about 250 ms with files still to parse. Not fewer: each turn
 * this thread also parses a chunk of manifests itself (parseTakenChunks), which the other
 * would have parsed meanwhile (64 or 256 a turn kept more of the work here than 1,024:
 * docs/performance.md, fifty-fifth pass).
 */
export const RECORDS_A_TURN = 1_024;

export type SnapshotRead = {
  state: RecordedState;
  /** Records served from the snapshot, not read. */
  hits: number;
  /** Writes the snapshot if anything was read for real; returns whether it wrote one. */
  save: () => boolean;
  /**
   * With `quiet`: the records served as quiet lines (quiet-record.ts), not in `state`, each with
   * its place there (the index in `state.audiences` it would have had before the others).
   */
  quiet?: { records: QuietRecord[]; at: number[] };
};

/**
 * Reads a directory store as `readState` does, record for record and error for error,
 * but a record file whose facts (size, modification and change time, inode) match the
 * snapshot at `snapshotFile` is stat'ed, not read. Any other file is read, parsed and
 * validated for real, and then the snapshot is written again by `save`.
 *
 * Only `plan` reads through it, and a plan changes nothing. `apply` reads every record
 * itself under the lock (FileStateStore never uses the snapshot), plans again from that,
 * and refuses a saved plan whose state digest or steps differ from its own (saved-plan.ts),
 * so nothing is ever applied from the snapshot. A stale one could at worst make a plan
 * show what the last one showed (and its saved form be refused); the facts (a record
 * write renames a new file, a new inode, into place; an edit in place changes the
 * modification and change times) and the racy rule keep even that from happening.
 */
export async function readStateThroughSnapshot(
  dir: string,
  snapshotFile: string,
  /** The clock (tests move it, to see files as old ones). */
  now: () => number = Date.now,
  /** The snapshot's bytes, if the caller started reading them early. */
  prefetched: Promise<CacheBytes> = loadSnapshotBytes(snapshotFile),
  /**
   * The records and their files' facts, taken meanwhile by another thread (src/scan);
   * resolving to undefined, or absent: this thread lists and stats.
   */
  scanned: Promise<StattedRecords | undefined> = Promise.resolve(undefined),
  /** The flags a corrupt record's repair commands carry (src/text/paste-flags.ts). */
  paste?: PasteFlags,
  /** Leave the records the snapshot serves in the quiet shape as lines (SnapshotRead.quiet). */
  quiet = false,
): Promise<SnapshotRead> {
  const root = path.resolve(dir);
  const started = now();
  const schema = RECORD_SCHEMA_ID;
  const listed = Promise.all([
    readMetaFile(metaPath(root)),
    scanned.then(async (statted) => statted ?? { ids: await listRecordIds(root) }),
  ]);
  // Judged when awaited below; until then it must not count as an unhandled rejection.
  listed.catch(() => undefined);
  // While the records are listed (and stat-ed, by the scan's thread).
  const snapshot = readSnapshot(await prefetched, root, schema, snapshotFile, quiet);
  const [meta, records] = await listed;
  const { ids } = records;
  const statted = 'facts' in records ? records : undefined;
  // The facts written are no older than the listing that took them.
  const scannedAt = Math.min(started, statted?.startedAt ?? started);
  // Each file's path, when it is stat'ed here or read: a record the snapshot serves from
  // the scan's facts needs none (10,000 joined paths a plan).
  const files = statted ? undefined : recordFiles(root, ids);
  const fileAt = (i: number): string => files?.[i] ?? recordFiles(root, [ids[i]!])[0]!;
  // With no snapshot to judge them by, a file's facts are those of the descriptor it is read
  // through (readTextSync's fstat), not a stat of its path first: 10,000 stats in a cold plan.
  const factsFirst = (i: number): RecordFacts | undefined => {
    if (statted) return statRecordFacts(statted, i);
    return snapshot && recordFileFacts(fileAt(i));
  };
  const audiences: AudienceRecord[] = [];
  const entries: Array<{ facts: RecordFacts; record: AudienceRecord | QuietRecord }> = [];
  const quietRecords: QuietRecord[] = [];
  const quietAt: number[] = [];
  let hits = 0;
  let read = 0;
  // The record reader is loaded by the first record the snapshot does not serve (zod only for
  // a record it leaves to zod).
  let parseRecord: typeof parseRecordText | undefined;
  for (let i = 0; i < ids.length; i += 1) {
    const [sandbox, key] = ids[i]!;
    const facts = factsFirst(i);
    const trusted = facts && snapshot && trustedEntry(snapshot, sandbox, key, facts);
    if (trusted instanceof QuietRecord) {
      // No run (its failure reasons scrubbed when it is made an object: nothing to scrub).
      hits += 1;
      quietRecords.push(trusted);
      quietAt.push(audiences.length);
      if (facts) entries.push({ facts, record: trusted });
      continue;
    }
    if (trusted) {
      // As written: by an older release, unscrubbed; by any, scrubbed of the secrets known then.
      scrubFailureReasons(trusted);
      hits += 1;
      audiences.push(trusted);
      entries.push({ facts, record: trusted });
      continue;
    }
    // Facts taken before the read: a file changed in between is read again next time.
    const file = fileAt(i);
    const opened: { facts?: RecordFacts } = {};
    const text = readTextSync(
      file,
      statted || snapshot ? undefined : (info) => (opened.facts = factsOf(info)),
    );
    // A file removed between listing and reading is simply gone.
    if (text === undefined) continue;
    parseRecord ??= (await import('./read-record.js')).parseRecordText;
    const record = await parseRecord(file, sandbox, key, text, paste);
    audiences.push(record);
    const known = facts ?? opened.facts;
    if (known) entries.push({ facts: known, record });
    read += 1;
    if (read % RECORDS_A_TURN === 0) await setImmediate();
  }
  const served = audiences.length + quietRecords.length;
  const stale = snapshot === undefined || hits !== served || snapshot.size !== hits;
  return {
    state: { meta, audiences },
    hits,
    // The records written are the objects returned: the planner (pure) never changes them.
    save: () => stale && saveSnapshot(snapshotFile, root, schema, scannedAt, entries.map(made)),
    ...(quietRecords.length > 0 ? { quiet: { records: quietRecords, at: quietAt } } : {}),
  };
}

/** An entry with its record an object (a quiet one made now, as it was served). */
function made(entry: { facts: RecordFacts; record: AudienceRecord | QuietRecord }): {
  facts: RecordFacts;
  record: AudienceRecord;
} {
  const { facts, record } = entry;
  if (!(record instanceof QuietRecord)) return { facts, record };
  const built = record.record();
  scrubFailureReasons(built);
  return { facts, record: built };
}

/**
 * writeSnapshot, unless a record it serves has an applied spec its specs section no longer
 * holds as written (snapshot-specs.ts): then the snapshot is removed instead, so that the
 * next plan reads every record and writes it anew.
 */
function saveSnapshot(
  file: string,
  root: string,
  schema: string,
  scannedAt: number,
  entries: ReadonlyArray<{ facts: RecordFacts; record: AudienceRecord }>,
): boolean {
  try {
    return writeSnapshot(file, root, schema, scannedAt, entries);
  } catch (error) {
    if (!(error instanceof SnapshotSpecError)) throw error;
    try {
      rmSync(file, { force: true });
    } catch {
      // Left as it is: every plan that reads a spec it serves is made again without it.
    }
    return false;
  }
}
