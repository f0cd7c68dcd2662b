import type { ManifestElsewhere } from '../plan/elsewhere.js';
import type { AudienceRecord } from '../state/schema.js';
import type { ChangeList } from '../source/types.js';

// A watched directory's sync digests each file (SourceRevision.digests), then the pass reads it.
// A file written in between (a generator run again with `>`, an editor's save that moves the
// file aside and writes it again) is read half written, or missing; once the write completes,
// the tree is the revision the sync saw again, so no later sync names the file as changed. Kept,
// that read was the desired state of every later pass until the next full read, the settle pass
// among them: the documents not yet written were removed manifests, and their audiences were
// deleted with their manifests on disk (review 40, F-1). Such a file is "unsettled": read again
// at every pass until what is read is what the revision names.

/** What the cache holds of a file: nothing, the digest of the bytes it read, or a read without bytes. */
export type HeldRead = { kind: 'absent' } | { kind: 'bytes'; digest: string } | { kind: 'unchecked' };

/**
 * Whether what the cache holds of `file` is what the revision names. A read without bytes (a
 * file that cannot be read, one over the size limit, a FIFO refused, a reader that gives no
 * bytes) is not compared: it says nothing of the content.
 */
export function settledRead(revision: ReadonlyMap<string, string>, file: string, held: HeldRead): boolean {
  switch (held.kind) {
    case 'absent':
      return !revision.has(file);
    case 'bytes':
      return revision.get(file) === held.digest;
    case 'unchecked':
      return true;
  }
}

export function isChangeList(changes: readonly string[] | ChangeList): changes is ChangeList {
  return !Array.isArray(changes);
}

/** The source's changes with the unsettled files added: read again whatever the source says. */
export function withUnsettled(
  changes: readonly string[] | ChangeList,
  unsettled: ReadonlySet<string>,
): readonly string[] | ChangeList {
  if (unsettled.size === 0) return changes;
  if (isChangeList(changes)) return { changed: [...changes.changed, ...unsettled], removed: changes.removed };
  return [...changes, ...unsettled];
}

/**
 * The removals the pass that read `unsettled` holds, as a file being written holds them: read
 * other than the revision names it, the file was half written (or missing) as the pass read it,
 * and its documents not yet written are no removed manifests. The file's time (writing.ts) is
 * no guard where the writer sets it back (tar, unzip, `cp -p`): the pass deleted them, their
 * manifests on disk (review verify-40, M-1). The next pass reads the file again.
 */
export function heldUnsettled(
  records: readonly AudienceRecord[],
  unsettled: readonly string[],
): ManifestElsewhere[] {
  if (unsettled.length === 0) return [];
  const files = new Set(unsettled);
  return records.flatMap((record) =>
    record.manifestFile !== undefined && files.has(record.manifestFile)
      ? [{ kind: 'writing' as const, sandbox: record.sandbox, key: record.key, file: record.manifestFile }]
      : [],
  );
}
