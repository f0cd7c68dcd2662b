import path from 'node:path';
import type { Diagnostic } from '../manifest/diagnostics.js';
import type { DesiredManifest, LoadResult } from '../manifest/load.js';
import { knownSpecHash } from '../manifest/spec-hash-memo.js';
import { recordId } from '../state/record-id.js';
import type { AudienceRecord, RecordedState } from '../state/schema.js';
import { withLazyProperty } from '../text/lazy-property.js';
import { normaliseSpec, specHash } from './normalise.js';

type Applied = NonNullable<AudienceRecord['applied']>;

/**
 * What the base branch applied of a manifest. A manifest the cache served carries its
 * spec's hash: its normal spec is computed only if a step reads it (most are unchanged).
 */
function appliedOf(m: LoadResult['manifests'][number], at: string): Applied {
  const { request } = m.manifest.ingestion;
  const rest = { ...(request === undefined ? {} : { ingestionRequest: request }), at };
  const known = knownSpecHash(m.manifest);
  if (known === undefined) {
    const spec = normaliseSpec(m.manifest.spec);
    return { spec, hash: specHash(spec), ...rest };
  }
  const pending = { spec: undefined as unknown as Applied['spec'], hash: known, ...rest };
  return withLazyProperty(pending, 'spec', () => normaliseSpec(m.manifest.spec));
}

/**
 * What the base branch holds but could not be read into manifests. The apply of the base
 * holds these audiences ("left as it is"): its state still has their records, applied from
 * an earlier version of the file, which a pull-request plan cannot see. Without this, a PR
 * that removes such a file plans "No changes" while the apply after the merge deletes the
 * audience, and a PR that fixes it plans a create where the apply updates or replaces.
 */
export type UnreadBase = {
  /** Audiences a base file with errors still names (`sandbox/key` -> that file): their spec is unknown. */
  specUnknown: ReadonlyMap<string, string>;
  /**
   * Base files whose audiences cannot even be named (emptied, skipped as not ours, or errors
   * before the name), with why: a plan that changes or removes one cannot say what the apply does.
   */
  unnamed: ReadonlyMap<string, UnnamedWhy>;
  /**
   * The `ingestion.every` of each audience the base's manifests name (`sandbox/key`; undefined:
   * none). When the audiences last ran is not known to the plan, so a schedule this change adds
   * or shortens may start a run at the apply (src/plan/base-runs.ts); absent, or an audience not
   * in it (its base file has errors): unknown.
   */
  everyAtBase?: ReadonlyMap<string, string | undefined>;
};

export type UnnamedWhy = 'empty' | 'skipped' | 'errors';

/**
 * The audiences and files of the base that `assumedStateFrom` cannot fully know. `movedIn`: the
 * manifests the base held outside the directory that this change moves into it (BaseElsewhere).
 */
export function unreadBase(base: LoadResult, movedIn: readonly DesiredManifest[] = []): UnreadBase {
  const read = new Set(base.manifests.map((m) => recordId(m.sandbox, m.key)));
  const specUnknown = new Map<string, string>();
  for (const held of base.held) {
    const id = recordId(held.sandbox, held.key);
    if (!read.has(id) && !specUnknown.has(id)) specUnknown.set(id, held.file);
  }
  const named = new Set(base.held.map((h) => h.file));
  const unnamed = new Map<string, UnnamedWhy>();
  for (const file of base.failedFiles) if (!named.has(file)) unnamed.set(file, 'errors');
  for (const file of base.emptyFiles) unnamed.set(file, 'empty');
  for (const file of base.skippedFiles) if (!unnamed.has(file)) unnamed.set(file, 'skipped');
  const everyAtBase = new Map<string, string | undefined>();
  for (const m of [...base.manifests, ...movedIn]) {
    const id = recordId(m.sandbox, m.key);
    if (!everyAtBase.has(id)) everyAtBase.set(id, m.manifest.ingestion.every);
  }
  return { specUnknown, unnamed, everyAtBase };
}

/**
 * What a pull-request plan of one directory knows of the rest of the base: `movedIn`, manifests
 * the base held outside the directory whose keys this change's manifests hold (a `git mv` into
 * it: src/manifest/read-moved-in.ts; their `file` is from the top of the work tree);
 * `sourceRoot`, the directory as records keep it, given to the directory's own records so that
 * only the moved-in ones change directory.
 */
export type BaseElsewhere = { movedIn: readonly DesiredManifest[]; sourceRoot?: string | undefined };

/**
 * The state a pull-request plan assumes: everything on the base branch is applied,
 * including the runs it asked for. Needs no credentials and no state directory.
 *
 * An audience a base file with errors still names gets a record too, with no applied spec
 * (`unread.specUnknown` tells the planner why): the apply's state has one, so removing the
 * file deletes the audience and fixing it changes it; its deletionPolicy is unknown, and
 * assumed to be Delete, the most the apply could do.
 */
export function assumedStateFrom(
  base: LoadResult,
  appliedAt: string,
  unread: UnreadBase = unreadBase(base),
  elsewhere: BaseElsewhere = { movedIn: [] },
): RecordedState {
  const at = Math.floor(Date.parse(appliedAt) / 1000);
  const runs = () => [
    {
      runId: '(base)',
      status: 'SUCCESS' as const,
      createdAt: at,
      dataFilterStartTime: 0,
      dataFilterEndTime: at,
    },
  ];
  const audiences: AudienceRecord[] = base.manifests.map((m) => ({
    schemaVersion: 1,
    sandbox: m.sandbox,
    key: m.key,
    audienceId: `(base) ${m.key}`,
    deletionPolicy: m.manifest.metadata.deletionPolicy,
    manifestFile: m.file,
    ...(elsewhere.sourceRoot === undefined ? {} : { sourceRoot: elsewhere.sourceRoot }),
    applied: appliedOf(m, appliedAt),
    runs: runs(),
  }));
  // Applied from another directory, where the base holds its file (its path from the top):
  // from which root is not known here, so the folder holding the file stands for it (the
  // plan shows the directory change, record only, as the apply makes it).
  const own = new Set(audiences.map((r) => recordId(r.sandbox, r.key)));
  for (const m of elsewhere.movedIn) {
    const id = recordId(m.sandbox, m.key);
    if (own.has(id)) continue;
    own.add(id);
    audiences.push({
      schemaVersion: 1,
      sandbox: m.sandbox,
      key: m.key,
      audienceId: `(base) ${m.key}`,
      deletionPolicy: m.manifest.metadata.deletionPolicy,
      manifestFile: path.posix.basename(m.file),
      sourceRoot: path.posix.dirname(m.file),
      applied: appliedOf(m, appliedAt),
      runs: runs(),
    });
  }
  const added = new Set<string>();
  for (const held of base.held) {
    const id = recordId(held.sandbox, held.key);
    if (unread.specUnknown.get(id) !== held.file || added.has(id)) continue;
    added.add(id);
    audiences.push({
      schemaVersion: 1,
      sandbox: held.sandbox,
      key: held.key,
      audienceId: `(base) ${held.key}`,
      deletionPolicy: 'Delete',
      manifestFile: held.file,
      ...(elsewhere.sourceRoot === undefined ? {} : { sourceRoot: elsewhere.sourceRoot }),
      runs: runs(),
    });
  }
  return { meta: undefined, audiences };
}

/**
 * What reading the base found (a link not followed, a warning in a file this change fixes,
 * a file with errors), for a pull-request plan to show beside the working tree's
 * diagnostics: each marked as the base's, and a warning whatever its severity there (the
 * base's errors are not this change's; what they hide is said by the plan, see
 * UnreadBase). One the working tree has word for word is not repeated.
 */
export function baseDiagnostics(base: LoadResult, desired: LoadResult, ref: string): Diagnostic[] {
  const key = (d: Diagnostic) => JSON.stringify([d.severity, d.file, d.line, d.column, d.rule, d.message]);
  const shown = new Set(desired.diagnostics.map(key));
  return base.diagnostics
    .filter((d) => !shown.has(key(d)))
    .map((d) => ({
      ...d,
      severity: 'warning',
      message: `on the base ("${ref}")${d.severity === 'error' ? ', an error' : ''}: ${d.message}`,
    }));
}
