import type { LoadResult } from '../manifest/load.js';
import type { Plan } from '../plan/schema.js';
import { recordId } from '../state/record-id.js';

/**
 * The audiences the last refresh could not read back because their manifest was held (a file
 * with errors, emptied, being written): a refresh reads only the audiences whose manifest
 * loaded. Once such a manifest loads again, its pass refreshes, so that what happened to the
 * audience meanwhile (deleted in the UI) is found and corrected. Planned from the records alone,
 * it showed `in-sync` and was not created again until the next scheduled refresh (review 38s, S-3).
 */
export class HeldUnread {
  #keys = new Set<string>();

  /** After a pass that refreshed: the audiences it held, which it did not read. */
  refreshed(plan: Plan): void {
    this.#keys = new Set(plan.held.filter((held) => !held.elsewhere).map((h) => recordId(h.sandbox, h.key)));
  }

  /** True when a manifest of one of them is read again: its audience is read back now. */
  returned(desired: LoadResult): boolean {
    if (this.#keys.size === 0) return false;
    return desired.manifests.some((manifest) => this.#keys.has(recordId(manifest.sandbox, manifest.key)));
  }
}
