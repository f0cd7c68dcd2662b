import type { LoadResult } from '../manifest/load.js';
import type { AudienceRecord } from '../state/schema.js';
import { recordId } from '../state/record-id.js';
import type { ManifestElsewhere } from './elsewhere.js';

/**
 * The directory given, relative to the one the records were applied from, when what was found
 * elsewhere says it is below it (`loyalty` for `apply m/loyalty`, records applied from `m`):
 * the first found above, whose directory is the one the look settled on, else the look's
 * `applied-from` (a record read here that names its file as applied from above).
 */
export function appliedBelow(elsewhere: readonly ManifestElsewhere[] | undefined): string | undefined {
  for (const m of elsewhere ?? []) {
    const above = m.kind === 'above' || m.kind === 'applied-from';
    if (above && m.under !== undefined && m.under !== '') return m.under;
  }
  return undefined;
}

/**
 * The records `read` (audiences with the file each was read from, as the plan names it) would
 * re-point to a file below the one they record: `loyalty/gold.yaml` read as `gold.yaml`. Once
 * that file is found to name the record, evidence that the directory given is `loyalty` below
 * the one the records were applied from (src/apply/held-elsewhere.ts looks).
 */
export function recordedBelow(
  read: Iterable<{ sandbox: string; key: string; file: string }>,
  records: readonly AudienceRecord[],
): AudienceRecord[] {
  const files = new Map<string, string>();
  for (const m of read) files.set(recordId(m.sandbox, m.key), m.file);
  if (files.size === 0) return [];
  return records.filter((record) => {
    const file = files.get(recordId(record.sandbox, record.key));
    return file !== undefined && record.manifestFile?.endsWith(`/${file}`) === true;
  });
}

/**
 * `desired` with every file as the records name them: `<under>/<file>`. A plan of a
 * subdirectory that holds removals above it would otherwise see every matched record's file
 * as changed (`loyalty/gold.yaml` read as `gold.yaml`) and re-point it, and the next plan
 * would no longer find the directory the records were applied from (the held removals'
 * manifests moved there, or no record's file found above): those audiences would be deleted
 * with their manifests still there. Steps then show files as recorded (`loyalty/gold.yaml:3`),
 * which is also what an applied step records (record-helpers.ts reads it from the step).
 *
 * Only where the plan compares files with records: it can turn a removal into a hold (a
 * record's file now skipped or held), never the reverse; --include/--exclude, whose patterns
 * are relative to the directory given, still see the records' own files, as the first plan did.
 */
export function asAppliedFrom(desired: LoadResult, under: string): LoadResult {
  const file = (name: string) => `${under}/${name}`;
  return {
    ...desired,
    manifests: desired.manifests.map((m) => ({ ...m, file: file(m.file) })),
    diagnostics: desired.diagnostics.map((d) => ({ ...d, file: file(d.file) })),
    failedFiles: desired.failedFiles.map(file),
    held: desired.held.map((h) => ({ ...h, file: file(h.file) })),
    notes: desired.notes.map((n) => ({ ...n, file: file(n.file) })),
    skippedFiles: desired.skippedFiles.map(file),
    emptyFiles: desired.emptyFiles.map(file),
  };
}
