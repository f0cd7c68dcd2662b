import { closeSync, openSync, readSync } from 'node:fs';
import {
  filtersGiven,
  mayHoldSelected,
  namedLikeManifest,
  SKIPPED_DIRS,
  unselectedByDefault,
} from '../source/file-filter.js';
import { uncheckedNested, uncheckedSubmodules, type UncheckedSubmodule } from './read-submodules.js';
import type { ReadDirOptions } from './read-dir.js';

// What the directory walk (read-dir.ts) says it did not read: files the default selection leaves
// out, submodules not checked out. One rule for the walk and for the controller's incremental
// reads (src/daemon/desired-cache.ts), which read everything when a change touches either, so
// that they give exactly the full read's diagnostics and held audiences (review 34c).

/** How many bytes of a file in a dot folder are looked through for `apiVersion: audiencectl/`. */
const LOOKED_AT_BYTES = 64 * 1024;

/**
 * Whether `text` holds `apiVersion: audiencectl/...`: it claims to be an audiencectl manifest. As
 * writers spell that value: quoted, tagged `!!str`, its slash escaped (`audiencectl\/v1`, as PHP's
 * json_encode writes every slash; `\x2F`, `\u002f`: a backslash after the name, the parse decides).
 * A manifest moved to `old/gold.json` so written was planned as deleted.
 */
export function claimsOurs(text: string): boolean {
  return /apiVersion["']?\s*:\s*(?:!!str\s+)?["']?audiencectl[/\\]/.test(text);
}

/**
 * Whether the search for a removed manifest elsewhere takes `relative` (a path from where it
 * looks) only when its text claims to be an audiencectl manifest (claimsOurs): one of no
 * manifest's name, whose head it asks (read-elsewhere.ts readLeftOut: looksLikeManifest), and
 * one renamed (`b.json`, `b.yaml.bak`), whose whole text it asks (claimedIfRenamed). git need
 * not return such a file that does not hold `audiencectl/` (read-moved.ts filesNaming).
 */
export function readOnlyIfClaimed(relative: string): boolean {
  // Without `.yaml` or `.yml` in it, a name is either no manifest's or a renamed one's
  // (`b.json`): so without asking the rules below (a store's 10,000 records took 0.1 s).
  if (!YAML_IN_NAME.test(relative)) return true;
  return !namedLikeManifest(relative) || unselectedByDefault(relative)?.why === 'renamed';
}

/** What every name the default reads, or leaves out as a manifest's but not renamed, holds (file-filter.ts YAML_NAME). */
const YAML_IN_NAME = /\.ya?ml/i;

/**
 * Whether a file the default leaves out for a dot holds `apiVersion: audiencectl/...` in its
 * first LOOKED_AT_BYTES: an audiencectl manifest, not a dot folder's other YAML
 * (`.github/workflows/*.yml`), which is never named. False when it cannot be read.
 */
export function looksLikeManifest(absolute: string): boolean {
  return headClaim(absolute) === 'claims';
}

/**
 * looksLikeManifest, telling a file that is there and cannot be read (EACCES, EIO: `unreadable`,
 * what it claims unknown) from one that does not claim (`no`), or is gone since it was listed.
 */
export function headClaim(absolute: string): 'claims' | 'no' | 'unreadable' {
  let fd: number | undefined;
  try {
    fd = openSync(absolute, 'r');
    const head = Buffer.alloc(LOOKED_AT_BYTES);
    const length = readSync(fd, head, 0, LOOKED_AT_BYTES, 0);
    return claimsOurs(head.toString('utf8', 0, length)) ? 'claims' : 'no';
  } catch (cause) {
    const { code } = cause as NodeJS.ErrnoException;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'no' : 'unreadable';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Whether the walk may say that the regular file `relative` (`absolute` on disk), which the
 * selection does not read, is not read (source/not-selected): with no filters given, a name the
 * default leaves out, one left out for a dot only when it holds a manifest; never a renamed one
 * (`b.yaml~`, read-dir.ts). (The walk keeps quiet about a file that a link it reads points at:
 * the caller's to leave out.)
 */
export function maySayNotSelected(relative: string, absolute: string, options: ReadDirOptions): boolean {
  if (options.select !== undefined || filtersGiven(options).length > 0) return false;
  const left = unselectedByDefault(relative);
  if (left === undefined || left.why === 'renamed') return false;
  return left.why === 'extension' || looksLikeManifest(absolute);
}

/** A folder the walk would enter: none of its parts is skipped by name (SKIPPED_DIRS). */
function walksInto(folder: string): boolean {
  return !folder.split('/').some((part) => SKIPPED_DIRS.has(part));
}

/** Whether the walk warns about a submodule it does not read (below the directory read). */
export function saysSubmodule(submodule: UncheckedSubmodule, options: ReadDirOptions): boolean {
  return (
    submodule.relative !== '' && walksInto(submodule.relative) && mayHoldSelected(submodule.relative, options)
  );
}

/**
 * The submodules that the walk of `realRoot` (a real path) does not read, and says or refuses
 * (`relative` `''`: the directory itself): those the `.gitmodules` of the work tree (or
 * `options.checkoutTop`) names, and those of the repositories checked out below it that the last
 * walk met (`gitmodulesFolders`, Listing's): a clone inside `--dir` whose submodule is emptied
 * (`git submodule deinit`) is otherwise read incrementally as manifests removed (review 41, F-1).
 * As cheap as uncheckedSubmodules where there is no `.gitmodules`.
 */
export function submodulesNotRead(
  realRoot: string,
  options: ReadDirOptions,
  gitmodulesFolders: readonly string[] = [],
): UncheckedSubmodule[] {
  return [
    ...uncheckedSubmodules(realRoot, options.checkoutTop),
    ...uncheckedNested(realRoot, gitmodulesFolders),
  ].filter((submodule) => submodule.relative === '' || saysSubmodule(submodule, options));
}
