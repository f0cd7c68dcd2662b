import { describe, expect, it } from 'vitest';
import { epochSecondsOf } from './instant.js';

describe('epochSecondsOf', () => {
  it('reads a time stamp without a zone as UTC, and one with a zone as written', () => {
    expect(epochSecondsOf('2026-11-22T10:00:00.000Z')).toBe(1_795_341_600);
    expect(epochSecondsOf('2026-11-22T10:00:00')).toBe(1_795_341_600);
    expect(epochSecondsOf('2026-11-22 10:00:00')).toBe(1_795_341_600);
    expect(epochSecondsOf('2026-11-22T10:00')).toBe(1_795_341_600);
    expect(epochSecondsOf('2026-11-22T10:00:00.999')).toBe(1_795_341_600);
    expect(epochSecondsOf('2026-11-22T12:00:00+02:00')).toBe(1_795_341_600);
    expect(epochSecondsOf('2026-11-22')).toBe(1_795_305_600);
    expect(epochSecondsOf('not a time')).toBeNaN();
  });
});
