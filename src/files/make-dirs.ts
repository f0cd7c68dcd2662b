import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { reasonOf } from '../state/errors.js';

/**
 * Why `makeDirs` could not make a directory, said of the directory asked for: "is not a
 * directory", "cannot be created: mkdir /proc/x failed (ENOENT: the file system refused it)".
 */
export class MakeDirsError extends Error {
  constructor(
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(problem, options);
  }
}

/**
 * Why a call on the file system failed, with its code: procfs and sysfs answer ENOENT to a
 * file or directory made in a directory that exists, which reasonOf would call "it does not
 * exist"; there it is the file system refusing.
 */
export function failure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'ENOENT: the file system refused it';
  return code === undefined ? reasonOf(error) : `${code}: ${reasonOf(error)}`;
}

type Found =
  { kind: 'directory' } | { kind: 'other' } | { kind: 'missing' } | { kind: 'failed'; error: unknown };

async function look(dir: string): Promise<Found> {
  try {
    return (await stat(dir)).isDirectory() ? { kind: 'directory' } : { kind: 'other' };
  } catch (error) {
    // ENOTDIR: a part of the path is a file; said when the walk up reaches it.
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? { kind: 'missing' } : { kind: 'failed', error };
  }
}

/**
 * Makes `dir` and its missing parents, one mkdir each, and returns the first one it made
 * (undefined when `dir` was there), as `mkdir(dir, { recursive: true })` does; throws a
 * MakeDirsError saying why it cannot. Not that call: where mkdir answers ENOENT under a
 * parent that exists (any new path under /proc), Node's recursive mkdir retries for ever, a
 * core at 100 %, deaf to Ctrl-C (Node 20 and 24). `mkdirOne`: the call that makes one.
 */
export async function makeDirs(
  dir: string,
  mkdirOne: (dir: string) => Promise<unknown> = mkdir,
): Promise<string | undefined> {
  const found = await look(dir);
  if (found.kind === 'directory') return undefined;
  if (found.kind === 'other') throw new MakeDirsError('is not a directory');
  if (found.kind === 'failed')
    throw new MakeDirsError(`cannot be used (${failure(found.error)})`, { cause: found.error });
  const missing: string[] = [];
  let current = path.resolve(dir);
  for (;;) {
    missing.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    const above = await look(parent);
    if (above.kind === 'directory') break;
    if (above.kind === 'other') throw new MakeDirsError(`cannot be created: ${parent} is not a directory`);
    if (above.kind === 'failed')
      throw new MakeDirsError(`cannot be created: ${parent} cannot be used (${failure(above.error)})`, {
        cause: above.error,
      });
    current = parent;
  }
  let first: string | undefined;
  for (const each of missing) {
    try {
      await mkdirOne(each);
      first ??= each;
    } catch (error) {
      // Made meanwhile by someone else: fine if it is a directory.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && (await look(each)).kind === 'directory')
        continue;
      throw new MakeDirsError(`cannot be created: mkdir ${each} failed (${failure(error)})`, {
        cause: error,
      });
    }
  }
  return first;
}
