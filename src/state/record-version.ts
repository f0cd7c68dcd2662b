import type { RecordFacts } from './snapshot.js';

/**
 * What each record is as the store holds it, by `sandbox/key` (recordId), in words no reader
 * parses, only compares: a directory store's record file by its stat facts (size, mtime, ctime,
 * inode: a write in place moves its ctime, a rename its inode), a PostgreSQL row by its version
 * (xmin and ctid: an UPDATE writes a new one). A record changed by anyone, this store, another
 * process, or an editor or a disk fault bypassing the store (which moves no serial), has another.
 */
export type RecordVersions = Map<string, string>;

/**
 * StateStore.readAll's: `versions`, given, is filled with each record's version as read (the
 * directory store's from the stats of each file it opens, no second look; PostgreSQL's in the
 * same query), so that a copy of the read can be confirmed record by record later (the
 * controller's kept records: src/daemon/cached-reads.ts, confirm). A store that cannot tell
 * them leaves it empty.
 */
export type ReadAllOptions = { versions?: RecordVersions };

/**
 * The records whose versions are asked for (StateStore.recordVersions): `ids`, those of every
 * record of `sandboxes` too (which tells a record added or removed there).
 */
export type VersionsAsked = {
  ids: ReadonlyArray<readonly [sandbox: string, key: string]>;
  sandboxes: readonly string[];
};

/** A record file's version, from the stats of the file read or looked at. */
export function fileVersion(facts: RecordFacts): string {
  return `${facts.size} ${facts.mtimeMs} ${facts.ctimeMs} ${facts.ino}`;
}
