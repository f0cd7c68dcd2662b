import { mkdir } from 'node:fs/promises';
import module from 'node:module';
import path from 'node:path';
import { makeDirs } from '../files/make-dirs.js';
import { shareCompileCache } from '../thread-env.js';
import { userCacheDir } from './user-cache-dir.js';

type CompileCacheModule = {
  enableCompileCache?: (dir: string) => { status: number; directory?: string };
  constants?: { compileCacheStatus?: { ENABLED: number; ALREADY_ENABLED: number } };
};

/**
 * Turns on Node's compile cache (22.1 and later) in the user's cache directory, or in
 * NODE_COMPILE_CACHE's. The directory is made here, one mkdir at a time (makeDirs), before
 * Node is given it: Node makes it with its recursive mkdir, which spins for ever where mkdir
 * answers ENOENT under a parent that exists (HOME=/proc/x hung every command, --version too).
 * A directory that cannot be made (a HOME that is a file, read-only or under /proc) leaves the
 * cache off, silently, as Node leaves it off when it cannot write there: the command runs as
 * on Node 20, only slower to start. NODE_DISABLE_COMPILE_CACHE set: nothing is made.
 */
export async function enableCompileCache(): Promise<void> {
  const enable = (module as CompileCacheModule).enableCompileCache;
  if (enable === undefined || process.env.NODE_DISABLE_COMPILE_CACHE) return;
  const dir = process.env.NODE_COMPILE_CACHE || path.join(userCacheDir(), 'audiencectl', 'compile-cache');
  try {
    // Private: what it holds is code this user's commands run.
    await makeDirs(dir, (each) => mkdir(each, { mode: 0o700 }));
  } catch {
    return;
  }
  const { status, directory } = enable(dir);
  const statuses = (module as CompileCacheModule).constants?.compileCacheStatus;
  // Our threads use it too (thread-env.ts): they would compile their code anew every run.
  if (statuses && (status === statuses.ENABLED || status === statuses.ALREADY_ENABLED))
    shareCompileCache(directory ?? dir);
}
