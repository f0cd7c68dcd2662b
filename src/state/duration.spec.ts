import { describe, expect, it } from 'vitest';
import { parseDurationMs } from './duration.js';

describe('parseDurationMs', () => {
  it.each([
    ['0', 0],
    ['5', 5000],
    ['1.5s', 1500],
    ['250ms', 250],
    ['2m', 120_000],
    ['1h', 3_600_000],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDurationMs(text, '--lock-timeout')).toBe(ms);
  });

  it.each(['', 'soon', '-1s', '5 minutes', '1d'])('refuses %j, naming the flag', (text) => {
    expect(() => parseDurationMs(text, '--lock-timeout')).toThrow(/--lock-timeout must be a duration/);
  });
});
