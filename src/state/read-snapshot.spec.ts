import fs, { mkdirSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { aRecord, useTempDirs } from '../../test/state/helpers.js';
import { audiencesDir, metaPath, recordPath } from './paths.js';
import { readStateThroughSnapshot, RECORDS_A_TURN } from './read-snapshot.js';
import { statRecords, type StattedRecords } from './record-names.js';
import { STATE_SNAPSHOT_NAME } from './snapshot.js';

const tempDir = useTempDirs();

/** More records than a cold plan reads between two turns of the event loop. */
const COUNT = 2 * RECORDS_A_TURN + 1;

/** A store of COUNT records and no snapshot: each is read and parsed, as in a cold plan. */
async function coldStore(): Promise<{ dir: string; snapshot: string }> {
  const dir = await tempDir();
  writeFileSync(metaPath(dir), JSON.stringify({ schemaVersion: 1, lineage: 'l-1', serial: 3 }));
  mkdirSync(path.dirname(recordPath(dir, 'prod', 'k')), { recursive: true });
  for (let i = 0; i < COUNT; i += 1) {
    const key = `k${String(i).padStart(5, '0')}`;
    writeFileSync(recordPath(dir, 'prod', key), JSON.stringify(aRecord(key)));
  }
  return { dir, snapshot: path.join(dir, STATE_SNAPSHOT_NAME) };
}

/** The scan's listing (src/scan) as taken, which tells when the read's loop reaches each record. */
function watched(records: StattedRecords, reached: (index: number) => void): StattedRecords {
  const ids = new Proxy(records.ids, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reached(Number(key));
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  return { ...records, ids };
}

describe('a cold read of the records', () => {
  // The parser threads' replies (and the next chunks they are sent) wait for this thread's
  // event loop: a loop that read every record at once left them idle, with files to parse.
  it("lets another thread's message be taken while it reads: one posted at the second record comes before the last", async () => {
    const { dir, snapshot } = await coldStore();
    const { port1, port2 } = new MessageChannel();
    let reached = -1;
    let takenAt: number | undefined;
    port2.on('message', () => (takenAt = reached));
    // Posted at the second record, not the first: the first loads the record reader, whose
    // import takes turns of the event loop where the reader is not loaded yet (the CLI's lazy
    // chunk), and a message posted before it was taken there, by a loop that never yields.
    const scanned = watched(statRecords(dir), (index) => {
      if (index === 1 && reached < 1) port1.postMessage('reply');
      reached = index;
    });
    try {
      const read = await readStateThroughSnapshot(
        dir,
        snapshot,
        Date.now,
        Promise.resolve(undefined),
        Promise.resolve(scanned),
      );
      expect(read.hits).toBe(0);
      expect(read.state.audiences).toHaveLength(COUNT);
      expect(takenAt).toBeDefined();
      expect(takenAt).toBeLessThan(COUNT - 1);
    } finally {
      port1.close();
      port2.close();
    }
  });
});

/** Calls `read` with every `statSync` of a path under `dir` counted (the modules' imports of it too). */
async function countingStats<T>(dir: string, read: () => Promise<T>): Promise<{ value: T; stats: number }> {
  const original = fs.statSync;
  let stats = 0;
  // The CommonJS module's property, which syncBuiltinESMExports copies to every ESM import of it.
  (fs as { statSync: typeof fs.statSync }).statSync = ((file: fs.PathLike, ...rest: unknown[]) => {
    if (String(file).startsWith(dir)) stats += 1;
    return (original as (...args: unknown[]) => unknown)(file, ...rest);
  }) as typeof fs.statSync;
  syncBuiltinESMExports();
  try {
    return { value: await read(), stats };
  } finally {
    (fs as { statSync: typeof fs.statSync }).statSync = original;
    syncBuiltinESMExports();
  }
}

/** A clock an hour ahead: the record files just written count as old ones (trusted on their facts). */
const later = () => Date.now() + 3_600_000;

describe("a cold read's facts", () => {
  // A record file was stat-ed by its path, then opened, stat-ed again (fstat) and read: 10,000
  // stats more than needed on the main thread of a cold plan, about 40 ms.
  it('are taken from the descriptor each record is read through: no record file is stat-ed by its path, and the next read is served by the snapshot', async () => {
    const { dir, snapshot } = await coldStore();
    const { value: read, stats } = await countingStats(audiencesDir(dir), () =>
      readStateThroughSnapshot(dir, snapshot, later),
    );
    expect(read.hits).toBe(0);
    expect(read.state.audiences).toHaveLength(COUNT);
    expect(stats).toBe(0);
    expect(read.save()).toBe(true);
    // Each record's facts as written match its file's.
    const next = await readStateThroughSnapshot(dir, snapshot, later);
    expect(next.hits).toBe(COUNT);
    expect(next.state.audiences).toEqual(read.state.audiences);
  });
});
