/** How many revisions back a change list can be asked for; older ones read everything. */
const KEPT = 32;

/**
 * The paths that changed from one revision to the next, for the last few revisions a
 * source returned, so that `changedPaths(from, to)` can span several syncs (a pass that
 * failed, a standby that synced without reconciling). A step whose changes are unknown
 * makes every span across it unknown.
 */
export class ChangeHistory {
  readonly #steps: Array<{ revision: string; changed: ReadonlySet<string> | undefined }> = [];

  /** `revision` follows the previously added one; `changed` undefined when unknown. */
  add(revision: string, changed: ReadonlySet<string> | undefined): void {
    this.#steps.push({ revision, changed });
    if (this.#steps.length > KEPT) this.#steps.shift();
  }

  /** Union of the changes after `from` up to `to`, or undefined when either is not known. */
  between(from: string, to: string): string[] | undefined {
    if (from === to) return [];
    const end = this.#steps.findLastIndex((step) => step.revision === to);
    if (end < 0) return undefined;
    const start = this.#steps.findLastIndex((step, index) => index < end && step.revision === from);
    if (start < 0) return undefined;
    const paths = new Set<string>();
    for (const step of this.#steps.slice(start + 1, end + 1)) {
      if (step.changed === undefined) return undefined;
      for (const file of step.changed) paths.add(file);
    }
    return [...paths].sort();
  }
}
