// Vitest globalSetup: the CLI keeps a PostgreSQL store's manifest cache in the user's
// cache directory (src/cli/manifest-cache-file.ts). Tests point it at a directory of
// their own, removed at the end, instead of leaving files in the home directory. Set
// here, before the workers start, it reaches them and every process they spawn.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export default async function setup(): Promise<() => Promise<void>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'audiencectl-cache-home-'));
  process.env.XDG_CACHE_HOME = dir;
  return () => rm(dir, { recursive: true, force: true });
}
