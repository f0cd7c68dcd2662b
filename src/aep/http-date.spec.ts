import { describe, expect, it } from 'vitest';
import { parseHttpDate } from './http-date.js';

// RFC 9110 5.6.7's own example, 1994-11-06T08:49:37Z, in each of its three forms.
const SAMPLE = 784111777000;

describe('parseHttpDate', () => {
  it('reads the three forms of the RFC as GMT', () => {
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(SAMPLE);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT')).toBe(SAMPLE);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(SAMPLE);
  });

  it('reads asctime as GMT whatever the zone of the machine', () => {
    const zone = process.env['TZ'];
    try {
      for (const tz of ['America/New_York', 'Asia/Tokyo']) {
        process.env['TZ'] = tz;
        expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(SAMPLE);
      }
    } finally {
      if (zone === undefined) delete process.env['TZ'];
      else process.env['TZ'] = zone;
    }
  });

  it("reads RFC 5322's dates that name their zone (review verify-44 M-1)", () => {
    expect(parseHttpDate('Sun, 6 Nov 1994 08:49:37 GMT')).toBe(SAMPLE);
    expect(parseHttpDate('6 Nov 1994 08:49:37 UT')).toBe(SAMPLE);
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 +0000')).toBe(SAMPLE);
    expect(parseHttpDate('Sun, 06 Nov 1994 09:49:37 +0100')).toBe(SAMPLE);
    expect(parseHttpDate('Sun, 06 Nov 1994 03:49:37 -0500')).toBe(SAMPLE);
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49 GMT')).toBe(SAMPLE - 37_000);
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 +0060')).toBeUndefined();
    expect(parseHttpDate('Sun, 31 Feb 1994 08:49:37 +0000')).toBeUndefined();
  });

  it('reads no other form, and no date a calendar lacks', () => {
    for (const text of [
      'Sun, 06 Nov 1994 08:49:37', // no zone
      'Sun, 06 Nov 1994 08:49:37 EST',
      'Sun, 06 Nov 1994 25:00:00 GMT',
      'Sun, 31 Feb 1994 08:49:37 GMT',
      '1994-11-06T08:49:37Z',
      '-1',
      'soon',
      '',
    ])
      expect(parseHttpDate(text), text).toBeUndefined();
  });
});
