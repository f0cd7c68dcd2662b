/** What one sync produced: a whole, immutable tree at one revision. */
export type SourceRevision = {
  /** Commit SHA for git; a content hash (`sha256:...`) for a plain directory. */
  revision: string;
  /** Directory holding the manifests at that revision; do not write to it. */
  dir: string;
  /** False when the revision is the one the previous sync returned. */
  changed: boolean;
};

/**
 * Where desired state comes from. `sync` brings the source up to date and returns
 * a directory that stays unchanged until a later sync returns a different one, so
 * a reconcile reads exactly one revision. Calls are serialised by the source.
 */
export interface Source {
  sync(signal?: AbortSignal): Promise<SourceRevision>;
  /** Releases watchers and temporary files; the source is unusable afterwards. */
  close(): Promise<void>;
}
