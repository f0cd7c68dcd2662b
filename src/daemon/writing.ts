import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ManifestElsewhere } from '../plan/elsewhere.js';
import type { AudienceRecord } from '../state/schema.js';

export type WritingCheck = {
  /** The directory the pass read (`--dir`, with `--path`); records name files relative to it. */
  dir: string;
  /** The watch debounce: a file changed this recently before the pass read it may be mid-write. */
  settleMs: number;
  /** Wall-clock ms when the pass started reading the directory (its sync). */
  readSince: number;
};

/** What the pass found being written, for the planner, and when the hold can resolve. */
export type WritingFound = {
  held: ManifestElsewhere[];
  /** Wall-clock ms after which none of these files has changed for `settleMs`, if it stays quiet. */
  quietAt: number | undefined;
};

async function statIfThere(target: string): Promise<Stats | undefined> {
  return stat(target).catch(() => undefined);
}

/**
 * The records (which the plan would remove) whose manifest file changed after
 * `readSince - settleMs`: written within a debounce before the pass read it, or while and
 * after it did. What the pass read of such a file may be its first half, and the documents
 * still to come would read as removed manifests. A file that is gone is looked at through
 * its directory (a writer that unlinks, then writes anew). File times are the kernel's wall
 * clock, so they are compared with Date.now(), not an injected clock. A time more than a
 * debounce ahead of now is a clock stepped back since, not a write in progress: holding on
 * it would hold the removal until the clock caught up.
 */
export async function findBeingWritten(
  records: readonly AudienceRecord[],
  check: WritingCheck,
  now: () => number = Date.now,
): Promise<WritingFound> {
  const held: ManifestElsewhere[] = [];
  let quietAt: number | undefined;
  const since = check.readSince - check.settleMs;
  for (const record of records) {
    const file = record.manifestFile;
    if (file === undefined) continue;
    const absolute = path.join(check.dir, file);
    const info = (await statIfThere(absolute)) ?? (await statIfThere(path.dirname(absolute)));
    if (!info) continue;
    const changed = info.mtimeMs;
    if (changed <= since || changed > now() + check.settleMs) continue;
    held.push({ kind: 'writing', sandbox: record.sandbox, key: record.key, file });
    quietAt = Math.max(quietAt ?? 0, changed + check.settleMs);
  }
  return { held, quietAt };
}
