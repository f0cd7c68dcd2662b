import { readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { TEMP_SUFFIX } from './durable-fs.js';
import { audiencesDir } from './paths.js';

/** Lock (and compat.json) temp files belong to writers that may still be using them; only old ones are litter. */
const LOCK_TEMP_MIN_AGE_MS = 60_000;

async function names(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

function isTemp(name: string): boolean {
  return name.startsWith('.') && name.endsWith(TEMP_SUFFIX);
}

/**
 * Removes temporary files left by writers killed mid-write. Only the lock holder
 * writes records, so once it holds the lock every record temp file is litter.
 */
export async function sweepTempFiles(dir: string): Promise<number> {
  let removed = 0;
  const remove = async (file: string) => {
    await unlink(file)
      .then(() => removed++)
      .catch(() => undefined);
  };
  for (const name of (await names(dir)).filter(isTemp)) {
    const file = path.join(dir, name);
    // compat.json is written without the lock: its temp file may be another process's, in use.
    if (name.startsWith('.lock.') || name.startsWith('.compat.json.')) {
      const info = await stat(file).catch(() => undefined);
      if (!info || Date.now() - info.mtimeMs < LOCK_TEMP_MIN_AGE_MS) continue;
    }
    await remove(file);
  }
  const root = audiencesDir(dir);
  for (const sandbox of await names(root)) {
    const sandboxDir = path.join(root, sandbox);
    for (const name of (await names(sandboxDir)).filter(isTemp)) await remove(path.join(sandboxDir, name));
  }
  return removed;
}
