import { afterEach, describe, expect, it, vi } from 'vitest';
import { BATCH_CHARS, utf8Batches } from './cache-file.js';

afterEach(() => {
  vi.restoreAllMocks();
});

// About 6 MB of lines with two- and four-byte characters, one line longer than a batch, and
// empty pieces: what a manifest cache's lines and their newlines look like, and its worst cases.
const long = `long\t${'x€'.repeat(BATCH_CHARS)}`;
const pieces = [
  ...Array.from({ length: 5000 }, (_, i) => [`${i}\t${'é😀x'.repeat(300)}`, '\n']).flat(),
  '',
  long,
  '\n',
  ...Array.from({ length: 20 }, (_, i) => [`tail ${i}`, '\n']).flat(),
];
const longest = Math.max(...pieces.map((piece) => piece.length));

/** The longest string given to Buffer's UTF-8 encoding while `run` runs. */
function longestEncoded(run: () => void): number {
  let seen = 0;
  const note = (value: unknown) => {
    if (typeof value === 'string') seen = Math.max(seen, value.length);
  };
  const from = Buffer.from.bind(Buffer) as (...args: unknown[]) => Buffer;
  vi.spyOn(Buffer, 'from').mockImplementation(((...args: unknown[]) => {
    note(args[0]);
    return from(...args);
  }) as typeof Buffer.from);
  const proto = Buffer.prototype as unknown as { write: (this: Buffer, ...args: unknown[]) => number };
  const write = proto.write;
  vi.spyOn(proto, 'write').mockImplementation(function (this: Buffer, ...args: unknown[]) {
    note(args[0]);
    return write.apply(this, args);
  });
  run();
  return seen;
}

describe('utf8Batches', () => {
  it("gives the joined pieces' UTF-8 bytes, in batches of about BATCH_CHARS, each on a buffer of its own", () => {
    const batches = [...utf8Batches(pieces)];
    expect(Buffer.concat(batches).equals(Buffer.from(pieces.join('')))).toBe(true);
    expect(batches.length).toBeGreaterThan(5);
    // Each batch moves to the writing thread as it is: a buffer of its own (not Buffer's
    // shared pool), which it starts; none shares another's.
    for (const batch of batches) expect(batch.byteOffset).toBe(0);
    expect(new Set(batches.map((batch) => batch.buffer)).size).toBe(batches.length);
    // Batches close once they pass BATCH_CHARS characters' bytes, or before a piece that does not fit.
    for (const batch of batches.slice(0, -1))
      expect(batch.length).toBeLessThan(3 * BATCH_CHARS + 3 * longest);
  });

  it('encodes each piece into its batch: no string of a whole batch is built to be encoded', () => {
    // Joined first, each 1 MB batch was a string of its own (fresh memory, then a second pass
    // over it): a cold 10,000-audience plan encodes 10 MB of cache lines so, on its last stretch.
    const seen = longestEncoded(() => [...utf8Batches(pieces)]);
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThanOrEqual(longest);
  });

  it('gives one empty batch for no pieces, as writeCacheFileStreamed expects of an empty body', () => {
    const batches = [...utf8Batches([])];
    expect(batches.map((batch) => batch.length)).toEqual([0]);
  });
});
