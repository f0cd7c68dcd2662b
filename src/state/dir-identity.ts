import path from 'node:path';
import { swapPathOf } from './dir-swap.js';

/**
 * A directory store's identity (StateStore.identity): its real path, as a migrate's swap renames
 * it. Apart from the store (file-store.ts), which loads its writers: a plan reads a directory
 * store without them.
 */
export async function dirStoreIdentity(dir: string): Promise<string> {
  return `dir:${await swapPathOf(path.resolve(dir))}`;
}
