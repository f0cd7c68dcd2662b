import { randomBytes } from 'node:crypto';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  readdir,
  readlink,
  realpath,
  rename,
  rm,
  rmdir,
  stat,
} from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { StateError, StateWriteError, reasonOf } from './errors.js';
import { fsCalls, syncDir, TEMP_SUFFIX } from './durable-fs.js';
import { audiencesDir, lockPath, metaPath, recordPath } from './paths.js';
import { metaFormat } from './meta-format.js';
import type { RecordedState } from './schema.js';
import { assertValidId } from './record-id.js';
import { escapeText } from '../text/safe-text.js';

/** What the store owns in its folder; any other entry is carried over to the new store. */
const STORE_OWNED = new Set(['meta.json', 'audiences', 'lock', 'lock.takeover', 'state-snapshot.jsonl']);

/** `.<name>.migrate-`: the prefix of a migrate's directories beside the store `<name>`. */
function prefixOf(dir: string): string {
  return `.${path.basename(dir)}.migrate-`;
}

/** The directory the swap renames: the store's real path (a symlink is followed, even a dangling one). */
export async function swapPathOf(dir: string): Promise<string> {
  try {
    return await realpath(dir);
  } catch {
    const link = await readlink(dir).catch(() => undefined);
    return link === undefined ? dir : path.resolve(path.dirname(dir), link);
  }
}

export type Leftovers = {
  /** `.<name>.migrate-<tag>.new`: a copy being staged (or abandoned by a killed migrate). */
  staged: string[];
  /** `.<name>.migrate-<tag>.old`: the store a migrate swapped out, not yet removed. */
  retired: string[];
};

/** A killed migrate's directories beside `real` (the store's real path). */
export async function leftoversOf(real: string): Promise<Leftovers> {
  const prefix = prefixOf(real);
  const names = await readdir(path.dirname(real)).catch(() => []);
  const mine = names
    .filter((name) => name.startsWith(prefix))
    .map((name) => path.join(path.dirname(real), name));
  return {
    staged: mine.filter((file) => file.endsWith('.new')).sort(),
    retired: mine.filter((file) => file.endsWith('.old')).sort(),
  };
}

async function exists(file: string): Promise<boolean> {
  return (await lstat(file).catch(() => undefined)) !== undefined;
}

/**
 * What a folder made where the store was moved aside may hold and a migrate may discard when it
 * puts the store back: caches written without the lock (remade from the store), temp files.
 */
const REMAKEABLE = new Set(['compat.json', 'manifest-cache.jsonl', 'state-snapshot.jsonl']);

function remakeable(name: string): boolean {
  return REMAKEABLE.has(name) || (name.startsWith('.') && name.endsWith(TEMP_SUFFIX));
}

/**
 * The refusal of a store a migrate into it moved aside (`previous`, beside it) and did not swap
 * its copy in for: the store is missing, or a folder stands in its place holding no state (a
 * lock taken by an older release, plan's caches). Either way `state migrate` run again puts the
 * previous store back first (restoreRetired).
 */
export function midSwapError(dir: string, real: string, previous: string, missing: boolean): StateError {
  const what = missing
    ? `${escapeText(dir)} is missing: a \`state migrate\` into it was interrupted while swapping the copy in, and its previous store is in ${escapeText(previous)}`
    : `${escapeText(dir)} holds no state while ${escapeText(previous)} holds the store a \`state migrate\` into it moved aside: the migrate is swapping its copy in, or was interrupted there`;
  const byHand = missing
    ? `rename ${previous} to ${real}`
    : `remove ${real} (it has no meta.json) and rename ${previous} to ${real}`;
  return new StateError(
    'STATE_MIGRATE_INTERRUPTED',
    `${what}. Run that \`audiencectl state migrate\` again (it puts the previous store back first), or ${byHand}`,
  );
}

/**
 * Refuses a store a migrate into it moved aside and was killed before swapping its copy in
 * (between its two renames): the store is missing, or a folder with no meta.json stands in its
 * place. Read as a new, empty store, a plan would make every manifest a create and an apply
 * create every audience again. A store with meta.json is never mid-swap: one stat, no more.
 */
export async function refuseInterruptedSwap(dir: string): Promise<void> {
  if (await exists(metaPath(dir))) return;
  const real = await swapPathOf(dir);
  const { retired } = await leftoversOf(real);
  const previous = retired[0];
  if (previous === undefined) return;
  throw midSwapError(dir, real, previous, !(await exists(real)));
}

/**
 * Before a migrate locks its target: a target a killed migrate left moved aside gets its previous
 * store back (the copy it was swapping in is removed once the lock is held). A folder made in
 * its place meanwhile (by a lock, or plan's caches) is removed first when it holds only what
 * can be remade; holding anything else, it is left alone and the migrate refused, saying what.
 */
export async function restoreRetired(dir: string): Promise<string[]> {
  const real = await swapPathOf(dir);
  const { retired } = await leftoversOf(real);
  const previous = retired[0];
  if (previous === undefined) return [];
  const names = await readdir(real).catch(() => undefined);
  // A store: the swap went through, and the lock's sweep removes what it moved aside.
  if (names?.includes('meta.json') === true) return [];
  if (names !== undefined) await removeStandIn(real, previous, names);
  await rename(previous, real);
  await syncDir(path.dirname(real));
  return [`put back the previous store of ${real} from ${previous} (a migrate into it was interrupted)`];
}

/** Removes the folder standing in the moved-aside store's place, when all it holds can be remade. */
async function removeStandIn(real: string, previous: string, names: string[]): Promise<void> {
  const kept = names.filter((name) => !remakeable(name)).sort();
  if (kept.length > 0)
    throw new StateError(
      'STATE_MIGRATE_INTERRUPTED',
      `cannot put back the previous store of ${real} from ${previous}: ${real} has no meta.json but holds ${kept.map((name) => JSON.stringify(name)).join(', ')}. ` +
        `Move ${kept.length === 1 ? 'it' : 'them'} out of ${real}, then run this command again`,
    );
  try {
    for (const name of names) await rm(path.join(real, name), { force: true });
    await rmdir(real);
  } catch (error) {
    throw new StateWriteError(
      'STATE_UNWRITABLE',
      `cannot remove ${real} to put back ${previous}: ${reasonOf(error)}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * Under the target's lock: every staged copy and swapped-out store beside it is a killed
 * migrate's (a live one holds the lock). The copies are removed; a swapped-out store gives
 * back whatever is not the store's own (caches, a .gitkeep) before it is removed.
 */
export async function sweepLeftovers(dir: string): Promise<string[]> {
  const real = await swapPathOf(dir);
  const { staged, retired } = await leftoversOf(real);
  for (const file of retired) await retire(file, real);
  for (const file of staged) await rm(file, { recursive: true, force: true });
  if (staged.length + retired.length === 0) return [];
  await syncDir(path.dirname(real));
  return [`removed ${staged.length + retired.length} leftover(s) of an interrupted migrate beside ${real}`];
}

/** Moves what the store does not own from the swapped-out `old` into `real`, then removes `old`. */
async function retire(old: string, real: string): Promise<void> {
  const names = await readdir(old).catch(() => []);
  for (const name of names) {
    if (STORE_OWNED.has(name) || (name.startsWith('.') && name.endsWith(TEMP_SUFFIX))) continue;
    if (await exists(path.join(real, name))) continue;
    await rename(path.join(old, name), path.join(real, name));
  }
  await rm(old, { recursive: true, force: true });
}

/** A new file in the private staging directory: no temp file needed, synced before the swap. */
async function writeNew(file: string, data: string): Promise<void> {
  const handle = await fsCalls.open(file, 'wx', 0o644);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function serialise(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * Writes the whole store (records, meta, the lock as held) into `staging`, every entry synced.
 * The folder takes the store's mode and owner (`like`) before anything is written in it: a
 * group-shared store (setgid, 0770) or one owned by the controller's user stays so, as when
 * the records were written into the store's own folder.
 */
async function stage(
  staging: string,
  like: Stats,
  snapshot: RecordedState,
  lockText: string,
  signal: AbortSignal | undefined,
) {
  await mkdir(staging);
  // Owner first: a chown clears the setgid bit the chmod sets. Not ours to give (not root): kept as made.
  await chown(staging, like.uid, like.gid).catch(() => undefined);
  await chmod(staging, like.mode & 0o7777);
  const sandboxes = new Set<string>();
  for (const record of snapshot.audiences) {
    signal?.throwIfAborted();
    assertValidId(record.sandbox, record.key);
    if (!sandboxes.has(record.sandbox)) {
      await mkdir(path.join(audiencesDir(staging), record.sandbox), { recursive: true });
      sandboxes.add(record.sandbox);
    }
    await writeNew(recordPath(staging, record.sandbox, record.key), serialise(record));
  }
  signal?.throwIfAborted();
  for (const sandbox of sandboxes) await syncDir(path.join(audiencesDir(staging), sandbox));
  if (sandboxes.size > 0) await syncDir(audiencesDir(staging));
  if (snapshot.meta)
    await writeNew(
      metaPath(staging),
      serialise({ ...snapshot.meta, schemaVersion: metaFormat(snapshot.meta) }),
    );
  // The lock as this process holds it (same nonce): after the swap the store is still locked by it.
  await writeNew(lockPath(staging), lockText);
  await syncDir(staging);
}

/**
 * A mount point (a container's volume) cannot be renamed: refused before anything is staged.
 * The store folder's stat, otherwise.
 */
async function refuseMountPoint(real: string, parent: string): Promise<Stats> {
  const [here, above] = await Promise.all([stat(real), stat(parent)]);
  if (here.dev === above.dev) return here;
  throw new StateError(
    'STATE_MIGRATE_MOUNT_POINT',
    `${real} is a mount point: state migrate swaps its copy in by renaming the store's folder, which a mount point cannot be; migrate into a folder inside it and point --state there`,
  );
}

/**
 * Replaces the store at `dir` with `snapshot`, all or nothing: the whole copy is staged in
 * `.<name>.migrate-<tag>.new` beside it, then two renames swap it in (the store aside to
 * `.<name>.migrate-<tag>.old`, the copy into its place) and the old one is removed. Killed
 * before the swap, the store is untouched; between the two renames, the store is missing
 * and every command refuses it until a migrate puts the old one back (refuseInterruptedSwap);
 * after, it is the new store. The caller holds the lock, whose file is `lockText`.
 */
export async function swapInStore(
  dir: string,
  snapshot: RecordedState,
  lockText: string,
  signal?: AbortSignal,
): Promise<void> {
  const real = await swapPathOf(dir);
  const parent = path.dirname(real);
  const current = await refuseMountPoint(real, parent);
  const tag = `${process.pid}.${randomBytes(4).toString('hex')}`;
  const staging = path.join(parent, `${prefixOf(real)}${tag}.new`);
  const retired = path.join(parent, `${prefixOf(real)}${tag}.old`);
  try {
    await stage(staging, current, snapshot, lockText, signal);
    signal?.throwIfAborted();
    await fsCalls.rename(real, retired);
    try {
      await fsCalls.rename(staging, real);
    } catch (error) {
      await rename(retired, real).catch(() => undefined);
      throw error;
    }
    await syncDir(parent);
  } catch (error) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    if (error instanceof StateError || error === signal?.reason) throw error;
    throw new StateWriteError(
      'STATE_UNWRITABLE',
      `cannot write the copy beside ${real}: ${reasonOf(error)}`,
      {
        cause: error,
      },
    );
  }
  await retire(retired, real);
  await syncDir(parent);
}
