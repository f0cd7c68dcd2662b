import { describe, expect, it } from 'vitest';
import { ServiceClock } from './service-clock.js';

describe('ServiceClock', () => {
  it('reads a Date header as the middle of its second, against the arrival time', () => {
    let mono = 0;
    const clock = new ServiceClock(() => mono);
    expect(clock.serviceClock()).toBeUndefined();
    // AEP says 10:00:00 (any instant of that second); the answer arrived at 12:00:00.250 here.
    clock.dateHeader('Tue, 01 Dec 2026 10:00:00 GMT', Date.parse('2026-12-01T12:00:00.250Z'));
    mono = 1_000;
    expect(clock.serviceClock()).toEqual({
      offsetMs: -7_199_750,
      source: 'date',
      at: Date.parse('2026-12-01T12:00:00.250Z'),
      ageMs: 1_000,
      earliestMs: Date.parse('2026-12-01T10:00:01.000Z'),
    });
  });

  it("bounds AEP's clock from below, whatever the header's second, the transit and the time since", () => {
    // AEP's clock at the answer's stamping, the transit to here, the time since it arrived.
    const cases = [
      [Date.parse('2026-12-01T10:00:00.000Z'), 0, 0],
      [Date.parse('2026-12-01T10:00:00.999Z'), 0, 0],
      [Date.parse('2026-12-01T10:00:00.999Z'), 350, 4_321],
      [Date.parse('2026-12-01T10:00:00.001Z'), 2, 599_999],
    ] as const;
    for (const [stamped, transit, since] of cases) {
      let mono = 50;
      const clock = new ServiceClock(() => mono);
      // The local clock is 7 s behind AEP's, and is set right (it jumps) after the answer: no matter.
      clock.dateHeader(new Date(stamped).toUTCString(), stamped + transit - 7_000);
      mono += since;
      const earliest = clock.serviceClock()!.earliestMs;
      const aepNow = stamped + transit + since;
      expect(earliest).toBeLessThanOrEqual(aepNow);
      expect(aepNow - earliest).toBeLessThanOrEqual(1_000 + transit);
    }
  });

  it('keeps its reading when a Date header is missing or not a date', () => {
    const clock = new ServiceClock(() => 0);
    const arrived = Date.parse('2026-12-01T12:00:00.000Z');
    clock.dateHeader('Thu, 03 Dec 2026 12:00:00 GMT', arrived);
    clock.dateHeader('not a date', arrived);
    clock.dateHeader(undefined, arrived);
    expect(clock.serviceClock()?.offsetMs).toBe(2 * 86_400_000 + 500);
  });
});
