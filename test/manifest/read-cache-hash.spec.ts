import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatLine } from '../../src/manifest/file-line.js';
import { CACHE_FORMAT, readManifestCache, type CacheContext } from '../../src/manifest/read-cache.js';
import { DEFAULT_PARSE_LIMITS } from '../../src/manifest/limits.js';
import { runs } from '../helpers/property-runs.js';

const context: CacheContext = { root: '/r', maxBytes: 1024, limits: DEFAULT_PARSE_LIMITS, parser: 'p' };

/** A cache of these lines, as read (the digest is the header's: the body's hash is not what is tested here). */
function cacheOf(lines: string[]) {
  const header = JSON.stringify({ format: CACHE_FORMAT, ...context, scannedAt: 1, digest: 'd' });
  const bytes = Buffer.from(`${header}\n${lines.map((line) => `${line}\n`).join('')}`);
  return readManifestCache({ bytes, end: Buffer.byteLength(header), digest: 'd' }, context);
}

/** The line's content hash as the cache may hold it: git's blob id, or "-" for a file not read. */
const CONTENT_HASH = /^[0-9a-f]{40}$|^-$/;

describe('reading the manifest cache', () => {
  it("takes a line only when its content hash is a blob id or '-': one other line voids the cache", () => {
    // Near misses: a digit or letter outside lower-case hex, one too few or too many, a dash among them.
    const hashArb = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 39, maxLength: 41 }),
      fc.string({
        unit: fc.constantFrom(...'0123456789abcdefABCDEFg-\u00e9 '),
        minLength: 38,
        maxLength: 42,
      }),
      fc.constantFrom('-', '--', '', ' -', '- ', 'a'.repeat(40)),
    );
    fc.assert(
      fc.property(hashArb, (hash) => {
        const facts = { size: 3, mtimeMs: 1.5, ctimeMs: 2.5, ino: 7 };
        const good = formatLine('a.yaml', facts, 'f'.repeat(40), '{}');
        const cache = cacheOf([good, formatLine('b.yaml', facts, hash, '{}')]);
        if (CONTENT_HASH.test(hash)) expect(cache?.files.get('b.yaml')?.hash).toBe(hash);
        else expect(cache).toBeUndefined();
      }),
      { numRuns: runs(1000) },
    );
  });
});
