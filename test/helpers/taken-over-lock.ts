import { writeFile } from 'node:fs/promises';
import { lockPath } from '../../src/state/paths.js';

/**
 * Another process's lock written over this one's in a directory store, as a takeover of a
 * stalled holder leaves it: the holder's next write finds its lock lost.
 */
export async function takeOverDirLock(stateDir: string): Promise<void> {
  await writeFile(
    lockPath(stateDir),
    JSON.stringify({
      pid: 4242,
      hostname: 'elsewhere',
      since: new Date().toISOString(),
      command: 'audiencectl apply',
      nonce: 'took-over',
    }),
  );
}
