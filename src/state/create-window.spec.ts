import { describe, expect, it } from 'vitest';
import {
  createBegan,
  createdBeforeText,
  createdVersusBegan,
  creationLatestMs,
  type CreateBegan,
} from './create-window.js';
import type { PendingCreate } from './schema.js';

const STARTED = '2026-12-03T07:00:00.400Z';
const STARTED_MS = Date.parse(STARTED);
const sent = { body: {}, spec: {}, hash: 'h' } as unknown as PendingCreate;
const intent = (pendingCreate?: Partial<PendingCreate>) => ({
  intent: { id: 'i', kind: 'create' as const, startedAt: STARTED },
  ...(pendingCreate === undefined ? {} : { pendingCreate: { ...sent, ...pendingCreate } }),
});
/** An intent whose AEP bound is `ms`. */
const aep = (ms: number): CreateBegan => ({ began: 'intent', atMs: ms, clock: 'aep' });
const SECOND = 1_000;
/** An instant on a whole second, as the emulator and createEpoch show creation times. */
const WHOLE = Date.parse('2026-12-03T07:00:00.000Z');

describe('createBegan', () => {
  it("an intent with AEP's clock at its earliest: that bound, in AEP's clock", () => {
    expect(createBegan(intent({ earliestAepMs: STARTED_MS - 3_600_000, clockOffset: -3_600 }), 5)).toEqual(
      aep(STARTED_MS - 3_600_000),
    );
  });

  it("an intent of the release before (whole seconds, the middle of the Date header's second): its time moved by the offset less 1 s", () => {
    expect(createBegan(intent({ clockOffset: 180 }), 0)).toEqual(aep(STARTED_MS + 179 * SECOND));
  });

  it('a bound more than 6 hours from the intent is no measurement', () => {
    const far = STARTED_MS - 7 * 3_600_000;
    expect(createBegan(intent({ earliestAepMs: far }), undefined)).toEqual({
      began: 'intent',
      atMs: STARTED_MS,
      clock: 'local',
    });
  });

  it("an intent with no measurement of its own: the local clock, moved by the offset measured now (AEP's clock not read then)", () => {
    // Whole seconds, the middle of a Date header's second rounded: at most 1 s over the truth.
    expect(createBegan(intent({}), 2)).toEqual({
      began: 'intent',
      atMs: STARTED_MS + 1 * SECOND,
      clock: 'local',
    });
    expect(createBegan(intent(), undefined)).toEqual({ began: 'intent', atMs: STARTED_MS, clock: 'local' });
  });

  it("an answered create: the answer's time, by the offset recorded with it", () => {
    const answered = {
      operationId: 'op',
      observed: { source: 'operation' as const, at: STARTED, body: {} },
      pendingCreate: { ...sent, clockOffset: -60 },
    };
    expect(createBegan(answered, 0)).toEqual({
      began: 'answer',
      atMs: STARTED_MS - 61 * SECOND,
      clock: 'local',
    });
    const unmeasured = { ...answered, pendingCreate: sent };
    expect(createBegan(unmeasured, undefined)).toEqual({ began: 'answer', atMs: STARTED_MS, clock: 'local' });
    expect(createBegan({}, 0)).toBeUndefined();
  });

  it("an answered create whose intent recorded AEP's clock: that bound, kept with the operation, in AEP's clock", () => {
    const answered = {
      operationId: 'op',
      observed: { source: 'operation' as const, at: STARTED, body: {} },
      pendingCreate: { ...sent, clockOffset: -60, earliestAepMs: STARTED_MS - 63 * SECOND },
    };
    expect(createBegan(answered, 0)).toEqual(aep(STARTED_MS - 63 * SECOND));
    // More than 6 hours from the answer's time: no measurement, the answer's time decides.
    const far = {
      ...answered,
      pendingCreate: { ...sent, clockOffset: -60, earliestAepMs: STARTED_MS - 7 * 3_600_000 },
    };
    expect(createBegan(far, 0)).toEqual({ began: 'answer', atMs: STARTED_MS - 61 * SECOND, clock: 'local' });
  });
});

describe('createdVersusBegan', () => {
  it('a creation time in whole seconds may be truncated by up to a second; one with milliseconds is exact', () => {
    expect(creationLatestMs(WHOLE)).toBe(WHOLE + SECOND);
    expect(creationLatestMs(WHOLE + 1)).toBe(WHOLE + 1);
  });

  it("in AEP's clock, the create's own audience is never earlier: made at the bound, shown a second early (truncated) by a clock half a second behind", () => {
    // Made at 07:00:01.499 by the Date header's clock, 07:00:00.999 by the clock that stamps creation times, shown 07:00:00.
    expect(createdVersusBegan(WHOLE, aep(WHOLE + 1_499))).toEqual({ kind: 'after' });
    // Exact times: half a second behind the bound.
    expect(createdVersusBegan(WHOLE + 1, aep(WHOLE + 501))).toEqual({ kind: 'after' });
    // Made after the bound.
    expect(createdVersusBegan(WHOLE + 5 * SECOND, aep(WHOLE))).toEqual({ kind: 'after' });
  });

  it("in AEP's clock, an audience shown created 2 s before the create began (whole seconds) is another's", () => {
    // The code before adopted it: 2 s was within its 3 s (rounded, so 3.5 s) and the clock noise.
    expect(createdVersusBegan(WHOLE, aep(WHOLE + 2 * SECOND))).toEqual({
      kind: 'earlier',
      seconds: 1,
      clock: 'aep',
    });
    expect(createdVersusBegan(WHOLE, aep(WHOLE + 3_400))).toEqual({
      kind: 'earlier',
      seconds: 2,
      clock: 'aep',
    });
  });

  it("in AEP's clock, with milliseconds, more than half a second before the bound is another's", () => {
    expect(createdVersusBegan(WHOLE + 1, aep(WHOLE + 502))).toEqual({
      kind: 'earlier',
      seconds: 1,
      clock: 'aep',
    });
    expect(createdVersusBegan(WHOLE + 7, aep(WHOLE + 60_007))).toEqual({
      kind: 'earlier',
      seconds: 60,
      clock: 'aep',
    });
  });

  it("in a local clock, 2 minutes: within them before an intent, taken for its own, saying how long before; beyond, another's", () => {
    const local = (atMs: number, began: 'intent' | 'answer' = 'intent'): CreateBegan => ({
      began,
      atMs,
      clock: 'local',
    });
    expect(createdVersusBegan(WHOLE, local(WHOLE + 61 * SECOND))).toEqual({ kind: 'unclocked', seconds: 60 });
    expect(createdVersusBegan(WHOLE, local(WHOLE + 121 * SECOND))).toEqual({
      kind: 'unclocked',
      seconds: 120,
    });
    expect(createdVersusBegan(WHOLE, local(WHOLE + 121 * SECOND + 1))).toEqual({
      kind: 'earlier',
      seconds: 120,
      clock: 'local',
    });
    expect(createdVersusBegan(WHOLE, local(WHOLE + 500))).toEqual({ kind: 'after' });
    // An answer's time is after its audience was made: no note within the 2 minutes.
    expect(createdVersusBegan(WHOLE, local(WHOLE + 61 * SECOND, 'answer'))).toEqual({ kind: 'after' });
  });

  it('says how long before, and in whose clock, in one wording for the apply and the import', () => {
    expect(createdBeforeText({ kind: 'earlier', seconds: 41, clock: 'aep' }, 'this')).toBe(
      "41 s before this create began (in AEP's clock), so no POST of this create made it",
    );
    expect(createdBeforeText({ kind: 'earlier', seconds: 300, clock: 'local' }, 'that')).toBe(
      "300 s before that create began by the clock of the machine that began it, more than the 2 minutes that clock may be off AEP's, so no POST of that create made it",
    );
    expect(createdBeforeText({ kind: 'unclocked', seconds: 60 }, 'that')).toBe(
      "60 s before that create began by the clock of the machine that began it (AEP's clock was not read then to compare them, and they may differ by that much)",
    );
  });
});
