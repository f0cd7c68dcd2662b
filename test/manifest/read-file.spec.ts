import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSourceFile } from '../../src/manifest/read-file.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'read-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readSourceFile (one buffer reused by every read of a thread)', () => {
  it('reads files of every size around the buffer, and a small one after a large one', () => {
    const sizes = [0, 1, 65_535, 65_536, 65_537, 200_000, 1024 * 1024, 3];
    sizes.forEach((size, index) => {
      const file = path.join(dir, `f${size}.yaml`);
      // A fill of its own per file: bytes left in the buffer by an earlier, larger read
      // would show (the 3-byte file comes last, after the 1 MB one).
      const content = Buffer.alloc(size, String.fromCharCode(98 + index));
      content.write(`s${index}`, 0);
      writeFileSync(file, content.subarray(0, size));
      const read = readSourceFile('f.yaml', file, 1024 * 1024);
      expect(read.file).toEqual({ path: 'f.yaml', text: content.subarray(0, size).toString() });
      expect(read.bytes?.equals(content.subarray(0, size))).toBe(true);
      expect(read.facts?.size).toBe(size);
    });
  });

  it('refuses a file over the limit without reading it', () => {
    const file = path.join(dir, 'large.yaml');
    writeFileSync(file, Buffer.alloc(101, 'a'));
    const read = readSourceFile('large.yaml', file, 100);
    expect(read.bytes).toBeUndefined();
    expect('unreadable' in read.file && read.file.unreadable.rule).toBe('source/file-too-large');
  });
});
