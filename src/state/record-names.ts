import { readdirSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { audiencesDir } from './paths.js';
import type { RecordFacts } from './snapshot.js';

// Which names of a state directory are records, shared by the store's reader (read.ts)
// and the fact scan's thread (src/scan), which must not load the record schema.

const RECORD_SUFFIX = '.json';

/** Sandbox folders: every entry but hidden ones, sorted. */
export function sandboxNames(names: readonly string[]): string[] {
  return names.filter((name) => !name.startsWith('.')).sort();
}

/**
 * The keys of a sandbox folder's record files (`<key>.json`; temporary files start with
 * a dot), sorted by key as the PostgreSQL store orders them (not by file name:
 * "a-b.json" < "a.json").
 */
export function recordKeys(names: readonly string[]): string[] {
  return names
    .filter((name) => name.endsWith(RECORD_SUFFIX) && !name.startsWith('.'))
    .map((name) => name.slice(0, -RECORD_SUFFIX.length))
    .sort();
}

/** Each record's file, joined once per sandbox (names from readdir need no normalising; 10,000 joins show). */
export function recordFiles(root: string, ids: ReadonlyArray<readonly [string, string]>): string[] {
  const folders = new Map<string, string>();
  const base = audiencesDir(root);
  return ids.map(([sandbox, key]) => {
    let folder = folders.get(sandbox);
    if (folder === undefined) folders.set(sandbox, (folder = path.join(base, sandbox)));
    return `${folder}${path.sep}${key}${RECORD_SUFFIX}`;
  });
}

/**
 * The records of a directory store and the stat facts of each file (four numbers a
 * record: size, mtimeMs, ctimeMs, inode; a NaN size when it could not be stat-ed), taken
 * by the fact scan's thread (src/scan) while a plan reads the snapshot. `startedAt`:
 * when the listing started.
 */
export type StattedRecords = { startedAt: number; ids: Array<[string, string]>; facts: Float64Array };

function listSync(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    // As read.ts's listing: a missing folder holds nothing; any other failure is its to report.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** As read.ts's listRecordIds (synchronously), then a stat of each record file. */
export function statRecords(root: string, now: () => number = Date.now): StattedRecords {
  const startedAt = now();
  const base = audiencesDir(root);
  const ids = sandboxNames(listSync(base)).flatMap((sandbox) =>
    recordKeys(listSync(path.join(base, sandbox))).map((key): [string, string] => [sandbox, key]),
  );
  const facts = new Float64Array(ids.length * 4).fill(Number.NaN);
  // Written in place, as recordFileFacts reads them: no object or array per record.
  recordFiles(root, ids).forEach((file, index) => {
    let info: Stats | undefined;
    try {
      info = statSync(file, { throwIfNoEntry: false });
    } catch {
      return;
    }
    if (!info) return;
    const at = index * 4;
    facts[at] = info.size;
    facts[at + 1] = info.mtimeMs;
    facts[at + 2] = info.ctimeMs;
    facts[at + 3] = info.ino;
  });
  return { startedAt, ids, facts };
}

/** What the state snapshot compares of a file, from its stats. */
export function factsOf(info: Stats): RecordFacts {
  return { size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, ino: info.ino };
}

/**
 * What the state snapshot compares of a record file; undefined when it is gone or cannot be
 * stat-ed (a permission: reading it then says why, as readState would).
 */
export function recordFileFacts(file: string): RecordFacts | undefined {
  try {
    const info = statSync(file, { throwIfNoEntry: false });
    return info && factsOf(info);
  } catch {
    return undefined;
  }
}

/** The facts `statRecords` took of its `index`th record. */
export function statRecordFacts(records: StattedRecords, index: number): RecordFacts | undefined {
  const at = index * 4;
  const size = records.facts[at]!;
  if (Number.isNaN(size)) return undefined;
  return {
    size,
    mtimeMs: records.facts[at + 1]!,
    ctimeMs: records.facts[at + 2]!,
    ino: records.facts[at + 3]!,
  };
}
