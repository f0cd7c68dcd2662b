import { describe, expect, it } from 'vitest';
import { clockOffset } from '../../src/cli/commands/emulator-flags.js';
import { audienceBody, withEmulator } from '../helpers/with-emulator.js';

const DAY_MS = 86_400_000;

/** Seconds between two epoch-ms times, as whole seconds (Date and createdAt are whole seconds). */
function secondsApart(a: number, b: number): number {
  return Math.round((a - b) / 1000);
}

describe('emulator: a clock off the host clock', () => {
  it('answers with a Date header and run createdAt in its own clock, and moves it at once when changed', async () => {
    await withEmulator({ clockOffsetMs: -2 * DAY_MS, operationDelayMs: 10 }, async (emulator) => {
      const id = await emulator.createAudience(audienceBody());
      const sent = Date.now();
      const started = await emulator.request('POST', `/external-audience/${id}/runs`, {
        body: { dataFilterStartTime: 764245635 },
      });
      expect(started.status).toBe(200);
      const date = Date.parse(started.headers.get('date')!);
      const createdAt = (started.body as { createdAt: number }).createdAt;
      // Whole seconds, and the request's own transit: within 2 s of 2 days behind this host.
      expect(Math.abs(secondsApart(date, sent) + 2 * 86_400)).toBeLessThanOrEqual(2);
      expect(Math.abs(secondsApart(createdAt * 1000, sent) + 2 * 86_400)).toBeLessThanOrEqual(2);

      // An hour passes in the service, none here: its tokens (24 h) are still good.
      emulator.control.updateSettings({ clockOffsetMs: -2 * DAY_MS + 3_600_000 });
      const later = await emulator.request('GET', `/external-audience/${id}/runs`);
      expect(later.status).toBe(200);
      const moved = secondsApart(Date.parse(later.headers.get('date')!), Date.now());
      expect(Math.abs(moved + 2 * 86_400 - 3_600)).toBeLessThanOrEqual(2);
    });
  });

  it('refuses an offset beyond a year, or not whole milliseconds', async () => {
    await withEmulator({}, (emulator) => {
      expect(() => emulator.control.updateSettings({ clockOffsetMs: 400 * DAY_MS })).toThrow(
        'Invalid emulator settings: clockOffsetMs: must be at most a year',
      );
      expect(() => emulator.control.updateSettings({ clockOffsetMs: 1.5 })).toThrow(
        'clockOffsetMs: must be whole milliseconds',
      );
      return Promise.resolve();
    });
  });

  it('--clock-offset reads a duration with an optional sign', () => {
    expect(clockOffset('-2d')).toBe(-2 * DAY_MS);
    expect(clockOffset('+26h')).toBe(26 * 3_600_000);
    expect(clockOffset('90m')).toBe(90 * 60_000);
    expect(() => clockOffset('yesterday')).toThrow('expected a duration with an optional sign');
  });
});
