import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { holderIn } from './lock-holder.js';
import { LockHolder } from './lock-holder-schema.js';

/** What LockHolder's zod schema makes of a lock file's text: the oracle holderIn's check is held to. */
function byTheSchema(raw: string): LockHolder | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = LockHolder.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** A value of any JSON kind, a field's right one among them more often. */
const anyValue = (right: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 4, arbitrary: right },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.string(),
    fc.array(fc.integer(), { maxLength: 2 }),
    fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
  );

const pid = fc.oneof(fc.integer(), fc.constantFrom(0, -0, 2 ** 53 - 1, 2 ** 53, -(2 ** 53), 1.5, 1e300, -1));

/** Lock files' contents: a holder's fields, each maybe absent or of another kind, and other keys. */
const lockText = fc
  .record(
    {
      pid: anyValue(pid),
      hostname: anyValue(fc.string()),
      hostTag: anyValue(fc.string()),
      since: anyValue(fc.string()),
      command: anyValue(fc.string()),
      nonce: anyValue(fc.string()),
      source: anyValue(fc.string()),
      other: fc.string(),
      __proto__: fc.string(),
    },
    { requiredKeys: [] },
  )
  .chain((fields) =>
    fc
      .shuffledSubarray(Object.keys(fields), { minLength: Object.keys(fields).length })
      .map((order) =>
        JSON.stringify(Object.fromEntries(order.map((key) => [key, fields[key as keyof typeof fields]]))),
      ),
  );

describe('holderIn, the lock file check without zod', () => {
  it('takes what LockHolder takes, with the same keys in the same order, and refuses the rest', () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 9, arbitrary: lockText }, fc.string(), fc.json()), (raw) => {
        const expected = byTheSchema(raw);
        const actual = holderIn(raw);
        expect(actual).toStrictEqual(expected);
        expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
      }),
      { numRuns: 500 },
    );
  });

  it('reads a holder this release writes, and the locks of releases before hostTag and source', () => {
    const full = {
      pid: 42,
      hostname: 'h',
      hostTag: 't',
      since: '2026-12-08T02:00:00.000Z',
      command: 'audiencectl apply',
      nonce: 'n',
      source: 's',
    };
    expect(holderIn(JSON.stringify(full))).toStrictEqual(full);
    const older = {
      pid: full.pid,
      hostname: full.hostname,
      since: full.since,
      command: full.command,
      nonce: full.nonce,
    };
    expect(holderIn(`${JSON.stringify(older)}\n`)).toStrictEqual(older);
    expect(holderIn(JSON.stringify({ ...full, pid: 4.5 }))).toBeUndefined();
    expect(holderIn(JSON.stringify({ ...full, hostTag: null }))).toBeUndefined();
    expect(holderIn('{"pid":42')).toBeUndefined();
  });
});
