import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCacheBytes, loadCacheBytesSync, writeCacheFileStreamed } from './cache-file.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'audiencectl-cache-file-'));
  dirs.push(dir);
  return dir;
}

describe('writeCacheFileStreamed', () => {
  it('writes a header with the SHA-1 of a body of several 1 MB batches, multibyte text included', () => {
    const dir = tempDir();
    const file = path.join(dir, 'cache.jsonl');
    // 3,000 lines of about 1 KB with two- and four-byte characters: three batches and more.
    const pieces = Array.from({ length: 3000 }, (_, i) => `${i}\t${'é😀x'.repeat(250)}\n`);
    expect(writeCacheFileStreamed(file, (digest) => `header ${digest}`, pieces)).toBe(true);
    const body = Buffer.from(pieces.join(''));
    const expected = `header ${createHash('sha1').update(body).digest('hex')}\n${pieces.join('')}`;
    expect(readFileSync(file, 'utf8')).toBe(expected);
    expect(readdirSync(dir)).toEqual(['cache.jsonl']);
  });

  it('answers false and leaves no temporary file where it cannot write', () => {
    if (process.getuid?.() === 0) {
      // root writes into a read-only directory; a missing one fails for everybody.
      const missing = path.join(tempDir(), 'gone', 'cache.jsonl');
      expect(writeCacheFileStreamed(missing, () => 'h', ['x'])).toBe(false);
      return;
    }
    const dir = tempDir();
    chmodSync(dir, 0o500);
    expect(writeCacheFileStreamed(path.join(dir, 'cache.jsonl'), () => 'h', ['x'])).toBe(false);
    chmodSync(dir, 0o700);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a header whose length depends on the digest', () => {
    const dir = tempDir();
    const file = path.join(dir, 'cache.jsonl');
    expect(writeCacheFileStreamed(file, (digest) => digest.replace(/0/g, ''), ['body\n'])).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('loadCacheBytes', () => {
  it('reads a multi-megabyte cache whole, here or in the thread pool, with the SHA-1 of its body', async () => {
    const file = path.join(tempDir(), 'cache.jsonl');
    const body = Array.from({ length: 3000 }, (_, i) => `${i}\t${'é😀x'.repeat(250)}\n`).join('');
    writeFileSync(file, `{"header":1}\n${body}`);
    const digest = createHash('sha1').update(Buffer.from(body)).digest('hex');
    for (const loaded of [await loadCacheBytes(file), loadCacheBytesSync(file)]) {
      expect(loaded!.bytes.equals(readFileSync(file))).toBe(true);
      expect(loaded!.end).toBe('{"header":1}'.length);
      expect(loaded!.digest).toBe(digest);
    }
  });

  it('answers undefined for a missing file or one without a header line', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'flat'), 'no newline');
    for (const name of ['missing', 'flat']) {
      expect(await loadCacheBytes(path.join(dir, name))).toBeUndefined();
      expect(loadCacheBytesSync(path.join(dir, name))).toBeUndefined();
    }
  });
});
