import type { AudienceRecord } from '../state/schema.js';
import { recordId } from '../state/record-id.js';

/**
 * A manifest the plan did not read that names a recorded key: found at the edge (the CLI,
 * the controller: src/manifest/read-elsewhere.ts), only for the records the plan would
 * otherwise remove, and given to the planner as data, which keeps it pure.
 *
 * - `out-of-scope`: under the directory given, in a file --include/--exclude left out (a
 *   manifest moved from `loyalty/` to `partners/`, planned with `--include 'loyalty/**'`).
 * - `above`: under a directory above the one given (`apply m/loyalty` where the records were
 *   applied from `m`): at the record's file relative to it, or anywhere in it once one
 *   record's file was found there. `dir` is that directory.
 *
 * `file` and `dir` are as the user is shown them.
 */
export type ManifestElsewhere =
  | { kind: 'out-of-scope'; sandbox: string; key: string; file: string }
  | { kind: 'above'; sandbox: string; key: string; file: string; dir: string };

/**
 * Why a record the plan would remove is held instead: a manifest it did not read still names
 * the record's key, so its manifest was not removed (ARCHITECTURE.md, "only a removed manifest
 * deletes"). One in the record's sandbox is its manifest; one in another sandbox is too when
 * no record holds that sandbox's key, as a plan that read it would block the move rather than
 * delete. A manifest in another sandbox whose key is recorded there is that audience's, and
 * does not keep this one. Undefined: nothing keeps it, the removal stands.
 */
export function elsewhereReason(
  record: AudienceRecord,
  byKey: ReadonlyMap<string, readonly ManifestElsewhere[]>,
  records: ReadonlyMap<string, AudienceRecord>,
  filters: string,
): string | undefined {
  const named = byKey.get(record.key) ?? [];
  const found =
    named.find((m) => m.sandbox === record.sandbox) ??
    named.find((m) => !records.has(recordId(m.sandbox, m.key)));
  if (!found) return undefined;
  const where = found.sandbox === record.sandbox ? found.file : `${found.file} (sandbox "${found.sandbox}")`;
  if (found.kind === 'out-of-scope')
    return `its manifest is now ${where}, outside ${filters}; the audience is left as it is`;
  return `its manifest ${where} is above the directory given; the audience is left as it is: give the directory it was applied from (${found.dir})`;
}
