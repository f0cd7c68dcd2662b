import { describe, expect, it } from 'vitest';
import { parseDuration, readDuration } from './duration.js';

describe('readDuration', () => {
  it.each([
    ['0', 's', 0],
    ['0', 'ms', 0],
    ['5', 's', 5_000],
    ['250', 'ms', 250],
    ['250ms', 's', 250],
    ['30s', 's', 30_000],
    ['30s', 'ms', 30_000],
    ['5m', 's', 300_000],
    ['1h', 's', 3_600_000],
    ['1h30m', 's', 5_400_000],
    ['2d', 's', 172_800_000],
    ['1d2h3m4s5ms', 's', 93_784_005],
    ['1m500ms', 'ms', 60_500],
    ['90s', 's', 90_000],
  ] as const)('%j with plain numbers in %s is %i ms', (text, unit, ms) => {
    expect(readDuration(text, unit)).toEqual({ ok: true, ms });
  });

  it.each([
    '',
    ' ',
    'abc',
    '1.5s',
    '-1s',
    '5 minutes',
    '30S',
    '1m1h',
    's',
    '1h 30m',
    '10x',
    '1e3',
    '0x10',
    '5m5m',
  ])('refuses %j', (text) => {
    expect(readDuration(text, 's')).toEqual({
      ok: false,
      message: `"${text}" is not a duration (e.g. 30s, 5m, 1h30m)`,
    });
  });

  it.each([
    [' 10m', '" 10m"'],
    ['10m ', '"10m "'],
    ['10m\n', '"10m\\u000A"'],
    ['\t5', '"\\u00095"'],
    [' 0 ', '" 0 "'],
  ])('refuses %j, a value with a blank around it', (text, shown) => {
    // Quoted wrongly, or read from a file with its newline: ' 10m ' was taken as 10m.
    expect(readDuration(text, 's')).toEqual({
      ok: false,
      message: `${shown} has a space or line break around it: write the value alone`,
    });
  });

  it('refuses 0 where the option needs more, and waits no timer can hold', () => {
    expect(readDuration('0s', 's', true)).toEqual({
      ok: false,
      message: '"0s" is too short (must be more than 0)',
    });
    expect(readDuration('1ms', 's', true)).toEqual({ ok: true, ms: 1 });
    expect(readDuration('25d', 's')).toEqual({ ok: false, message: '"25d" is too long (at most 24d)' });
    expect(readDuration('24d', 's')).toEqual({ ok: true, ms: 2_073_600_000 });
  });
});

describe('parseDuration', () => {
  it('names the option in its error', () => {
    expect(() => parseDuration('abc', '--lock-timeout', 's')).toThrow(
      '--lock-timeout: "abc" is not a duration (e.g. 30s, 5m, 1h30m)',
    );
    expect(parseDuration('1h30m', '--run-wait', 's')).toBe(5_400_000);
  });
});
