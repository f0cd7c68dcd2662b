import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { META_REPAIR_HINT, parseRecordText, readJsonFile, readTextSync } from './read-json.js';
import { listRecordIds } from './read.js';
import { AudienceRecord, StateMeta, type RecordedState } from './schema.js';
import { factsOf, readSnapshot, trustedRecord, writeSnapshot, type RecordFacts } from './snapshot.js';
import { metaPath, recordPath } from './paths.js';

let schemaId: string | undefined;

/** Identifies the record schema: a snapshot written for another one (another version) is not used. */
function recordSchemaId(): string {
  schemaId ??= createHash('sha1')
    .update(JSON.stringify(z.toJSONSchema(AudienceRecord, { io: 'output' })))
    .digest('hex');
  return schemaId;
}

export type SnapshotRead = {
  state: RecordedState;
  /** Records served from the snapshot, not read. */
  hits: number;
  /** Writes the snapshot if anything was read for real; returns whether it wrote one. */
  save: () => boolean;
};

/** Records between two yields to the event loop (as readState). */
const READ_BATCH = 500;

/**
 * Reads a directory store as `readState` does, record for record and error for error,
 * but a record file whose facts (size, modification and change time, inode) match the
 * snapshot at `snapshotFile` is stat'ed, not read. Any other file is read, parsed and
 * validated for real, and then the snapshot is written again by `save`.
 *
 * Only `plan` reads through it: a plan changes nothing, and what it shows is checked
 * again by `apply`, which reads every record itself under the lock (FileStateStore
 * never uses the snapshot), and refuses a saved plan once the store's serial moved.
 * So a stale snapshot could at worst make a plan show what the last one showed; the
 * facts (a record write renames a new file, a new inode, into place; an edit in place
 * changes the modification and change times) and the racy rule keep even that from
 * happening in practice.
 */
export async function readStateThroughSnapshot(
  dir: string,
  snapshotFile: string,
  /** The clock (tests move it, to see files as old ones). */
  now: () => number = Date.now,
): Promise<SnapshotRead> {
  const root = path.resolve(dir);
  const scannedAt = now();
  const schema = recordSchemaId();
  const snapshot = readSnapshot(snapshotFile, root, schema);
  const [meta, ids] = await Promise.all([
    readJsonFile(metaPath(root), StateMeta, META_REPAIR_HINT),
    listRecordIds(root),
  ]);
  const audiences: AudienceRecord[] = [];
  const entries: Array<{ facts: RecordFacts; record: AudienceRecord }> = [];
  let hits = 0;
  for (let start = 0; start < ids.length; start += READ_BATCH) {
    if (start > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const [sandbox, key] of ids.slice(start, start + READ_BATCH)) {
      const file = recordPath(root, sandbox, key);
      let stats;
      try {
        stats = statSync(file, { throwIfNoEntry: false });
      } catch {
        // Not stat-able (a permission): the read below says why, as readState would.
      }
      const facts = stats && factsOf(stats);
      const trusted = facts && snapshot && trustedRecord(snapshot, sandbox, key, facts);
      if (trusted) {
        hits += 1;
        audiences.push(trusted);
        entries.push({ facts, record: trusted });
        continue;
      }
      // Facts taken before the read: a file changed in between is read again next time.
      const text = readTextSync(file);
      // A file removed between listing and reading is simply gone.
      if (text === undefined) continue;
      const record = parseRecordText(file, sandbox, key, text);
      audiences.push(record);
      if (facts) entries.push({ facts, record });
    }
  }
  const stale = snapshot === undefined || hits !== audiences.length || snapshot.records.size !== hits;
  return {
    state: { meta, audiences },
    hits,
    save: () => stale && writeSnapshot(snapshotFile, root, schema, scannedAt, entries),
  };
}
