import { readdir } from 'node:fs/promises';
import { compareText } from '../text/compare.js';
import { StateError } from './errors.js';

/**
 * What a directory store's folder holds (docs/state.md, paths.ts): meta.json, the
 * records, the lock (and its takeover guard), compat.json, plan's two caches (manifest-cache.jsonl: see
 * cli/manifest-cache-file.ts; state-snapshot.jsonl), and on a mounted volume (the Helm
 * chart's) lost+found. Dot files (writes in progress, a .gitkeep) are not looked at.
 */
export const STORE_ENTRIES: ReadonlySet<string> = new Set([
  'meta.json',
  'audiences',
  'lock',
  // For milliseconds, while a locker removes a stale lock (a fresh store's racers see it).
  'lock.takeover',
  'compat.json',
  'manifest-cache.jsonl',
  'state-snapshot.jsonl',
  'lost+found',
]);

/**
 * Refuses a directory named as a store that is none: one without meta.json holding what
 * no store holds (`--state .` in a repository, the manifests folder). Read as an empty
 * store, it made a plan of every manifest a create, and an apply create every audience
 * a second time. A missing or empty directory is a new store; one with meta.json is an
 * initialised store, whatever sits beside it; one with records and no meta.json, one
 * written before meta.json existed. `flag`: what named the directory, for the hint (`state
 * migrate`'s `--from` or `--to`; every other command's is --state or its variable).
 */
export async function refuseForeignDirectory(
  dir: string,
  flag = '--state (or AUDIENCECTL_STATE)',
): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    // Missing, or not a directory: the store's own checks say so.
    return;
  }
  if (names.includes('meta.json')) return;
  const foreign = names.filter((name) => !name.startsWith('.') && !STORE_ENTRIES.has(name)).sort(compareText);
  if (foreign.length === 0) return;
  const shown = foreign.slice(0, 3).map((name) => JSON.stringify(name));
  const more = foreign.length > 3 ? ` and ${foreign.length - 3} more` : '';
  throw new StateError(
    'STATE_NOT_A_STORE',
    `${dir} is not a state store: it has no meta.json and holds ${shown.join(', ')}${more}, which a store never holds. ` +
      `Point ${flag} at the store; a new store goes in a new or empty directory`,
  );
}
