import type { CommitRelation } from '../plan/older-checkout.js';
import type { AppliedRevision } from '../state/schema.js';

/** What one sync produced: a whole, immutable tree at one revision. */
export type SourceRevision = {
  /** Commit SHA for git; a content hash (`sha256:...`) for a plain directory. */
  revision: string;
  /**
   * git: the commit with its committer time, recorded with every spec a pass applies (the
   * order check of `apply`, README "How it stays safe"). Absent for a directory.
   */
  commit?: AppliedRevision;
  /**
   * git: the root commits of the commit's history (rootCommitsOf), recorded with the sandboxes'
   * marks as `apply` records its clone's (SandboxMark.roots): a repository whose path differs by
   * a prefix (GitLab subgroups) is then told apart from this one. Absent for a directory, a
   * shallow fetch (--git-depth) or when git could not say.
   */
  roots?: readonly string[];
  /**
   * git: the fetch is shallow (--git-depth), so its roots are not known (`roots` absent): the
   * marks a pass writes say so (SandboxMark.shallow). Absent otherwise.
   */
  shallow?: true;
  /** Directory holding the manifests at that revision; do not write to it. */
  dir: string;
  /**
   * git: the revision's whole checkout, of which `dir` is the `--path`: the highest directory
   * looked in for the manifests of records a pass would remove (src/manifest/read-elsewhere.ts).
   */
  top?: string;
  /** False when the revision is the one the previous sync returned. */
  changed: boolean;
  /**
   * git: the symbolic links under `dir` (the checkout holds none: src/source/git-links.ts),
   * each as a checkout with links would show it. Absent for a directory.
   */
  links?: readonly CheckoutLink[];
  /**
   * A directory: each regular file's content digest (contentDigest), relative path to digest, as
   * the sync read it, when it saw the whole tree (no symlink, every folder listed). A pass reads
   * the files after the sync, and a file written meanwhile is not what the revision names
   * (src/daemon/read-settled.ts). Absent for git: the controller writes its checkout whole
   * before a pass reads it.
   */
  digests?: ReadonlyMap<string, string>;
};

/**
 * A link of the tree, `path` relative to the revision's `dir`: `file`, a link to the file
 * `target` (relative to `dir` too) whose bytes the checkout holds at `path`; else not followed,
 * as the CLI's directory reader follows none: its target `outside` the directory, `missing`
 * (gone, a loop, in a submodule), or a `folder` (the checkout copies no folder). At `path` the
 * checkout then holds the link's own text, which is never read as a manifest.
 */
export type CheckoutLink =
  { path: string; kind: 'file'; target: string } | { path: string; kind: 'outside' | 'missing' | 'folder' };

/** How thoroughly a sync looks. */
export type SyncOptions = {
  /**
   * Look at everything, trusting no hint (a directory source rescans every file rather
   * than only the paths its watcher reported). The controller asks for it on its poll,
   * resync and first passes. Default false.
   */
  full?: boolean;
};

/**
 * Changed paths (as `Source.changedPaths`' list) with those the source itself says were
 * removed (git's `D`, a rename's old side). A changed path missing from the new tree but
 * not in `removed` is a doubt (the checkout is not what the source says it is), never a
 * removal. A plain list says nothing of removals: a missing path there is gone.
 */
export type ChangeList = { changed: readonly string[]; removed: readonly string[] };

/**
 * Where desired state comes from. `sync` brings the source up to date and returns
 * a directory that stays unchanged until a later sync returns a different one, so
 * a reconcile reads exactly one revision. Calls are serialised by the source.
 */
export interface Source {
  /**
   * Takes what the source must hold alone (git: its work dir), so that a second process is
   * refused at start rather than corrupting the first one's checkouts. Optional.
   */
  open?(): Promise<void>;
  sync(signal?: AbortSignal, options?: SyncOptions): Promise<SourceRevision>;
  /**
   * The paths (relative to the revision's `dir`, `/`-separated) that may differ between
   * two revisions this source returned: added, modified, deleted, both sides of a rename.
   * A path may name a directory, standing for everything under it. A `ChangeList` (git)
   * also names the paths the source removed. `undefined` when the
   * source cannot tell for certain (history rewritten, a revision it no longer knows, a
   * watcher that failed): the caller must then read the whole tree. Optional: a source
   * without it is always read whole.
   */
  changedPaths?(
    from: string,
    to: string,
    signal?: AbortSignal,
  ): Promise<readonly string[] | ChangeList | undefined>;
  /**
   * git: where each of `commits` (recorded by earlier applies) stands against `head`, in the
   * repository this source fetched into; a commit it does not hold is `unknown`. Optional: a
   * source without commits has nothing to say.
   */
  relations?(
    head: string,
    commits: readonly string[],
    signal?: AbortSignal,
  ): Promise<ReadonlyMap<string, CommitRelation>>;
  /**
   * git: the commit the followed branch points at on the remote now, read without fetching
   * (`git ls-remote`); undefined when it cannot be read (no sync yet, the remote refused or
   * unreachable, no such branch). Optional: only a source with a remote has one.
   */
  remoteHead?(signal?: AbortSignal): Promise<string | undefined>;
  /** Releases watchers and temporary files; the source is unusable afterwards. */
  close(): Promise<void>;
}
