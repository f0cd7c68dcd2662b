import { describe, expect, it } from 'vitest';
import { withLazyProperty } from './lazy-property.js';

describe('withLazyProperty', () => {
  it('reads, compares and serialises as the plain object, parsing the text once, on first read', () => {
    let calls = 0;
    const lazy = withLazyProperty({ a: 1, spec: null, z: 'last' }, 'spec', () => {
      calls += 1;
      return { name: 'Gold', fields: [1, 2] };
    });
    expect(calls).toBe(0);
    expect(Object.keys(lazy)).toEqual(['a', 'spec', 'z']);
    expect(lazy).toEqual({ a: 1, spec: { name: 'Gold', fields: [1, 2] }, z: 'last' });
    expect(JSON.stringify(lazy)).toBe('{"a":1,"spec":{"name":"Gold","fields":[1,2]},"z":"last"}');
    expect(lazy.spec).toBe(lazy.spec);
    expect(calls).toBe(1);
  });

  it('takes JSON text, and a write before any read replaces it', () => {
    const fromText = withLazyProperty<{ spec: unknown }>({ spec: null }, 'spec', '{"n":[1,"x"]}');
    expect(fromText.spec).toEqual({ n: [1, 'x'] });
    const written = withLazyProperty<{ spec: unknown }>({ spec: null }, 'spec', '{"n":1}');
    written.spec = 'mine';
    expect(written).toEqual({ spec: 'mine' });
  });

  it('refuses a read through an object it did not make, rather than answer undefined', () => {
    const lazy = withLazyProperty<{ spec: unknown }>({ spec: null }, 'spec', '{"n":1}');
    const derived = Object.create(lazy) as { spec: unknown };
    expect(() => derived.spec).toThrow(/lazy property spec read on an object it was not made for/);
  });
});
