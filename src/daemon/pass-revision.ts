import path from 'node:path';
import type { ApplyRevision } from '../apply/checkout-guard.js';
import type { LookElsewhere } from '../apply/held-elsewhere.js';
import { findManifestsElsewhere } from '../manifest/read-elsewhere.js';
import { sourceRootOf } from '../manifest/read-source-root.js';
import { NO_PASTE_FLAGS, withManifestsDir, type PasteFlags } from '../text/paste-flags.js';
import type { PassDeps, PassRevision, ReconcileSettings, WritingLog } from './pass-types.js';
import { heldUnsettled } from './read-settled.js';
import { assertDirectoryThere } from '../source/directory-gone.js';
import { findBeingWritten } from './writing.js';

// What a pass makes of the revision it reconciles: the commit its records keep and check, the
// directory its plans name, where it looks for the manifests of records it would remove.

/**
 * What a pass records and checks of its commit. The branch says what to apply: a pass of the
 * revision its sync just fetched is never refused as older (a rollback pushed is its owner's
 * intent). A pass of an unconfirmed revision (the sync failed) is: undoing a newer commit's
 * work from a stale checkout is nobody's intent.
 */
export function applyRevision(revision: PassRevision, deps: PassDeps): ApplyRevision {
  const head = revision.commit;
  if (!head) return { kind: 'none' };
  const relations = deps.relations;
  if (!revision.unconfirmed || !relations)
    return {
      kind: 'record',
      head,
      ...(relations ? { relations: (commits: readonly string[]) => relations(head.commit, commits) } : {}),
    };
  return {
    kind: 'guard',
    head,
    headName: 'the last revision synced',
    relations: (commits) => relations(head.commit, commits),
    older: {
      kind: 'refuse-final',
      advice:
        'The sync of the branch failed (source.lastError): the controller reconciles the branch again once a sync succeeds',
    },
  };
}

/**
 * What the commands its plans and messages print name for the manifests directory: a person
 * pastes them in a clone of their own, so for git the `--path` inside the repository (`.` for
 * its root); for `--dir`, the directory. No store or configuration flag: the controller's are
 * not the person's.
 */
export function pasteOf(revision: PassRevision): PasteFlags | undefined {
  const { dir, top } = revision;
  if (dir === undefined) return undefined;
  return withManifestsDir(NO_PASTE_FLAGS, shownPath(top, dir));
}

/** `absolute` as a person's clone names it: inside the checkout `top` (`.` for its root), else whole. */
function shownPath(top: string | undefined, absolute: string): string {
  return top === undefined ? absolute : path.relative(top, absolute) || '.';
}

/**
 * How a pass looks for the manifests of records it would remove where it did not read: outside
 * --include/--exclude, and above --path (up to the checkout) or --dir. Paths are shown
 * relative to a git checkout (what --path names), else whole.
 */
export function lookElsewhere(
  revision: PassRevision,
  settings: ReconcileSettings,
  writing: WritingLog,
): LookElsewhere | undefined {
  const { dir, top } = revision;
  if (dir === undefined) return undefined;
  const settleMs = settings.writeSettleMs;
  const readSince = revision.readSince;
  const check = settleMs === undefined || readSince === undefined ? undefined : { dir, settleMs, readSince };
  const show = (absolute: string) => shownPath(top, absolute);
  return async (records, recorded, repointed, { repository, takenOver }) => {
    // Removals read from a directory gone since (`rm -rf` unlinks the files before the folder,
    // an unmount): its files looked removed, and the checks below find nothing to look at.
    if (records.length > 0) await assertDirectoryThere(dir);
    const found = await findManifestsElsewhere(
      records,
      {
        dir,
        top,
        show,
        include: settings.read.include,
        exclude: settings.read.exclude,
        maxFileBytes: settings.read.maxFileBytes,
        defaultSandbox: settings.defaultSandbox,
        planned: { repository },
      },
      recorded,
      repointed,
      takenOver,
    );
    // Only a removal waits for a file being written, or read other than its revision.
    if (records.length === 0) return found;
    const unsettled = heldUnsettled(records, revision.unsettled ?? []);
    if (!check) return [...found, ...unsettled];
    const being = await findBeingWritten(records, check, writing.now);
    writing.quietAt = being.quietAt;
    // A record held by both is held once (elsewhere.ts finds the first).
    return [...found, ...being.held, ...unsettled];
  };
}

/**
 * The directory the pass reads, and its repository, as records keep them
 * (src/manifest/read-source-root.ts); and the root commits of the commit synced, when known
 * (none with --git-depth): recorded with the marks, as `apply` records its clone's, and what
 * tells a repository whose path differs by a prefix (GitLab subgroups) sharing the store from
 * this one, its marks and its records (plan/other-histories.ts).
 */
export function rootOf(
  revision: PassRevision,
  { repository }: Pick<ReconcileSettings, 'repository'>,
): { sourceRoot?: string; repository?: string; roots?: readonly string[] } {
  return {
    ...(revision.dir === undefined ? {} : { sourceRoot: sourceRootOf(revision.dir, revision.top) }),
    ...(repository === undefined ? {} : { repository }),
    ...(revision.roots === undefined ? {} : { roots: revision.roots }),
  };
}
