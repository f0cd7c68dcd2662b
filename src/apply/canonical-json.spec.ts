import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { withLazyProperty } from '../text/lazy-property.js';
import { runs } from '../../test/helpers/property-runs.js';
import { canonicalHash, canonicalJson } from './canonical-json.js';

/** The way saved plans' digests were first written (before the fifty-seventh pass): the text to equal. */
function oldCanonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const entries = Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return Object.fromEntries(entries);
  });
}

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('it did not throw');
}

const oldHash = (value: unknown) => createHash('sha256').update(oldCanonicalJson(value)).digest('hex');

/** Keys that sort in surprising ways: array indices (listed first by any object), near-indices, case, non-ASCII. */
const keyArb = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom(
    '0',
    '1',
    '10',
    '2',
    '01',
    '-1',
    '4294967294',
    '4294967295',
    'a',
    'B',
    'é',
    '\u{1F600}',
    '',
  ),
);

/** Values JSON.stringify treats each its own way, plain objects (some with a null prototype) and arrays of them. */
const valueArb = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, true, false, undefined, 0, -0, NaN, Infinity, 1e21, 'x', '\uD800', () => 1),
    fc.double(),
    fc.string(),
    fc.date({ noInvalidDate: true }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(keyArb, tie('value'), { maxKeys: 5 }),
    fc
      .dictionary(keyArb, tie('value'), { maxKeys: 3 })
      .map((entries) => Object.assign(Object.create(null) as object, entries)),
  ),
})).value;

const record = (index: number) => ({
  sandbox: 'prod',
  key: `audience-${index}`,
  audienceId: `id-${index}`,
  applied: {
    spec: {
      name: `Audience ${index}`,
      fields: [{ name: 'email', type: 'string', labels: [] }],
      ttlInDays: 30,
    },
    hash: 'abc',
    at: '2026-12-07T08:04:56.406Z',
  },
  runs: [],
  manifestFile: `group-0/audience-${index}.yaml`,
});

describe('canonicalJson', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes the text the replacer did, and hashes it', () => {
    fc.assert(
      fc.property(valueArb, (value) => {
        expect(canonicalJson(value)).toBe(oldCanonicalJson(value));
        if (value !== undefined && typeof value !== 'function')
          expect(canonicalHash(value)).toBe(oldHash(value));
      }),
      { numRuns: runs(500) },
    );
  });

  it('hashes, piece by piece, the text of lists of records and of objects of lists', () => {
    const records = Array.from({ length: 300 }, (_, index) => record(index));
    // Past a chunk of the hash's (64 KiB): fed more than once.
    expect(JSON.stringify(records).length).toBeGreaterThan(64 * 1024);
    expect(canonicalHash(records)).toBe(oldHash(records));
    const load = { manifests: records, notes: [], held: undefined, holdAllDeletions: false, z: [undefined] };
    expect(canonicalHash(load)).toBe(oldHash(load));
  });

  it('reads a lazy property as the replacer did', () => {
    const owner = () =>
      withLazyProperty({ key: 'k', spec: null, z: 1 }, 'spec', '{"b":[1,{"d":2,"c":3}],"a":"x"}');
    expect(canonicalJson(owner())).toBe('{"key":"k","spec":{"a":"x","b":[1,{"c":3,"d":2}]},"z":1}');
    expect(canonicalHash([owner(), owner()])).toBe(oldHash([owner(), owner()]));
  });

  // Read once for the digest and not again, the parsed specs of 10,000 records and manifests,
  // kept as data properties, outlived the young generation (and each redefinition cost as much).
  it('leaves a lazy property pending: parsed for the text, not kept', () => {
    const owner = withLazyProperty({ key: 'k', spec: null }, 'spec', '{"b":1,"a":[2]}');
    const text = canonicalJson([owner]);
    expect(text).toBe('[{"key":"k","spec":{"a":[2],"b":1}}]');
    expect(canonicalHash([owner])).toBe(
      oldHash([withLazyProperty({ key: 'k', spec: null }, 'spec', '{"b":1,"a":[2]}')]),
    );
    expect(Object.getOwnPropertyDescriptor(owner, 'spec')).toHaveProperty('get', expect.any(Function));
    expect(owner.spec).toEqual({ b: 1, a: [2] });
    // Redefined since (not by its setter): what the property now holds.
    const redefined = withLazyProperty({ key: 'k', spec: null }, 'spec', '{"b":1}');
    Object.defineProperty(redefined, 'spec', { value: 7, enumerable: true });
    expect(canonicalJson(redefined)).toBe('{"key":"k","spec":7}');
  });

  it('refuses what the replacer refused, as it did', () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = { again: cycle };
    // The replacer's copies are new objects every level: JSON.stringify never saw the cycle.
    const overflow = errorOf(() => oldCanonicalJson(cycle));
    expect(overflow).toBeInstanceOf(RangeError);
    expect(() => canonicalJson(cycle)).toThrow(overflow);
    expect(() => canonicalHash([cycle])).toThrow(overflow);
    expect(() => canonicalJson({ big: 1n })).toThrow(TypeError);
    expect(() => canonicalHash(undefined)).toThrow(TypeError);
    const own = JSON.parse('{"__proto__":{"b":1,"a":2},"c":3}') as unknown;
    expect(canonicalJson(own)).toBe(oldCanonicalJson(own));
    expect(canonicalHash(own)).toBe(oldHash(own));
  });

  // The replacer built an entries array, a pair per key and an object per object, and was called
  // once for every value: for the digests of 10,000 records and manifests, a third of a JSON plan.
  it('builds no entries and calls no replacer for plain objects', () => {
    const entries = vi.spyOn(Object, 'entries');
    const fromEntries = vi.spyOn(Object, 'fromEntries');
    const stringify = vi.spyOn(JSON, 'stringify');
    const records = Array.from({ length: 50 }, (_, index) => record(index));
    canonicalJson(records);
    canonicalHash(records);
    expect(entries).not.toHaveBeenCalled();
    expect(fromEntries).not.toHaveBeenCalled();
    expect(stringify.mock.calls.filter((call) => call[1] !== undefined)).toEqual([]);
  });
});
