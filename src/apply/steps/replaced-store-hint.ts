import type { PasteFlags } from '../../text/paste-flags.js';
import type { StateStore } from '../../state/store.js';

/**
 * Whether `store` holds no audience ever applied (only records of creates not made: blocked,
 * or their intents): a store that replaced an earlier one without `state migrate` (a file state
 * moved to PostgreSQL: an empty schema, the directory kept), whose every create is then refused
 * as a duplicate of the earlier store's own audience. Read once per store (a whole sandbox of
 * blocked creates reads it once), on the first such block only.
 */
const fresh = new WeakMap<StateStore, Promise<boolean>>();

function holdsNothingApplied(store: StateStore): Promise<boolean> {
  let known = fresh.get(store);
  if (known === undefined) {
    known = store.readAll().then(
      (state) => state.audiences.every((record) => record.audienceId === undefined),
      // Unread, the hint is left out: the block's message stands without it.
      () => false,
    );
    fresh.set(store, known);
  }
  return known;
}

/** `--to` for this store, as `--state` was pasted (a URL without its password), or a placeholder. */
function targetWords(paste: PasteFlags | undefined): string {
  const state = paste?.state ?? '';
  const passwordFile = / --state-password-file (?:'[^']*'|\S+)/.exec(paste?.access ?? '')?.[0] ?? '';
  return state.startsWith(' --state ')
    ? ` --to ${state.slice(' --state '.length)}${passwordFile}`
    : ' --to NEW_STATE';
}

/**
 * The way out of a create refused because another store with the same credentials made the
 * audience, when this store holds nothing applied: copy that store in with `state migrate`
 * (README "State"), which resolves every such block at once, rather than a `state import` per
 * audience. --force is needed (the blocked creates' records are in this store) and loses only
 * them. Empty when the store holds an applied audience: --force would replace it.
 */
export async function replacedStoreHint(store: StateStore, paste: PasteFlags | undefined): Promise<string> {
  if (!(await holdsNothingApplied(store))) return '';
  const target = targetWords(paste);
  const newState = target === ' --to NEW_STATE' ? ', NEW_STATE: this store' : '';
  return `; if this store replaced an earlier one (a file state moved to PostgreSQL), copy that one in instead: audiencectl state migrate --from OLD_STATE${target} --force (OLD_STATE: the earlier store${newState}; --force replaces what this store holds, only blocked creates)`;
}
