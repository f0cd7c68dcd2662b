import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planCacheReads } from './plan-cache-reads.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'plan-cache-reads-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A manifest cache of `bytes` (none: undefined), in a folder of its own. */
function cacheFile(name: string, bytes: number | undefined): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'manifest-cache.jsonl');
  if (bytes !== undefined) writeFileSync(file, 'x'.repeat(bytes));
  return file;
}

describe('planCacheReads: how a plan reads its caches, from the manifest cache alone', () => {
  // 2 MiB: the smallest cache a thread scans (scan/prestart.ts).
  const large = cacheFile('large', 2_097_152);
  const small = cacheFile('small', 10);
  const none = cacheFile('none', undefined);

  it.each([
    ['a large manifest cache', large, true, { scan: true, quiet: true }],
    ['a small one', small, true, { scan: false, quiet: true }],
    // A cold plan's files parsed now are lines in the cache's shape: quiet ones pair as cached ones do.
    ['no manifest cache (a cold plan)', none, true, { scan: false, quiet: true }],
    ['the caches turned off (no cache file)', undefined, true, { scan: false, quiet: true }],
    ['a plan that wants no quiet pairs', large, false, { scan: true, quiet: false }],
    ['a cache path that is a directory', root, true, { scan: false, quiet: true }],
  ] as const)('%s', (_what, file, quietWanted, expected) => {
    expect(planCacheReads(file, quietWanted)).toEqual(expected);
  });

  it('looks at the cache file once', () => {
    const asked: string[] = [];
    const sizeOf = (file: string) => (asked.push(file), 5);
    expect(planCacheReads(small, true, sizeOf)).toEqual({ scan: false, quiet: true });
    expect(asked).toEqual([small]);
  });
});
