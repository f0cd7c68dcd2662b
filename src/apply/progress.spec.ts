import { describe, expect, it } from 'vitest';
import type { Step } from '../plan/schema.js';
import { formatElapsed, plainProgress, ttyProgress } from './progress.js';
import type { Clock } from './types.js';

/** A clock the test moves: sleeps resolve when `advance` passes their end. */
function manualClock(): Clock & { advance(ms: number): Promise<void> } {
  let now = 0;
  let sleepers: Array<{ until: number; resolve: () => void }> = [];
  return {
    now: () => now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        sleepers.push({ until: now + ms, resolve });
      }),
    async advance(ms) {
      now += ms;
      const due = sleepers.filter((s) => s.until <= now);
      sleepers = sleepers.filter((s) => s.until > now);
      for (const s of due) s.resolve();
      // Let the woken loops run and sleep again.
      for (let i = 0; i < 5; i += 1) await Promise.resolve();
    },
  };
}

const step = { id: 'prod/gold:run', sandbox: 'prod', key: 'gold', kind: 'run' } as Step;

describe('progress', () => {
  it('without a terminal, says every 30 s what is still awaited, and stops when closed', async () => {
    const clock = manualClock();
    const lines: string[] = [];
    const progress = plainProgress((text) => lines.push(text), { clock, color: false });
    progress.stepStarted(step);
    await clock.advance(29_999);
    expect(lines).toEqual([]);
    await clock.advance(1);
    await clock.advance(30_000);
    expect(lines).toEqual([
      '         still working after 30s: 1 step(s) in progress: prod/gold run\n',
      '         still working after 1m00s: 1 step(s) in progress: prod/gold run\n',
    ]);
    progress.stepFinished({ step, status: 'failed', message: 'run r1 FAILED' });
    await clock.advance(30_000);
    progress.close();
    await clock.advance(30_000);
    expect(lines.slice(2)).toEqual(['FAILED   prod/gold run: run r1 FAILED\n']);
  });

  it('colours result marks only when asked', () => {
    const clock = manualClock();
    const coloured: string[] = [];
    const sink = plainProgress((text) => coloured.push(text), { clock, color: true });
    sink.stepFinished({ step, status: 'applied', message: 'ok then' });
    sink.stepFinished({ step, status: 'blocked', message: 'needs a person' });
    sink.close();
    expect(coloured).toEqual([
      '\u001b[32mok      \u001b[0m prod/gold run: ok then\n',
      '\u001b[33mblocked \u001b[0m prod/gold run: needs a person\n',
    ]);
  });

  it('counts the time elapsed on the monotonic clock, the wall clock stepped an hour back', async () => {
    const clock = manualClock();
    let mono = 0;
    // Once the step has started, NTP steps the wall clock an hour back.
    const stepped: Clock = {
      now: () => clock.now() - (mono > 0 ? 3_600_000 : 0),
      monotonic: () => mono,
      sleep: (ms, signal) => clock.sleep(ms, signal),
    };
    const lines: string[] = [];
    const progress = plainProgress((text) => lines.push(text), { clock: stepped, color: false });
    progress.stepStarted(step);
    mono = 30_000;
    await clock.advance(30_000);
    progress.close();
    expect(lines).toEqual(['         still working after 30s: 1 step(s) in progress: prod/gold run\n']);
  });

  it('on a terminal, the live line shows the counts, the time elapsed and sandbox/key', async () => {
    const clock = manualClock();
    let screen = '';
    const progress = ttyProgress((text) => (screen += text), 2, { clock, color: false });
    progress.stepStarted(step);
    await clock.advance(65_000);
    progress.close();
    expect(screen).toContain('\r\u001b[K[0/2] 1m05s  prod/gold run');
  });

  it.each([
    [0, '0s'],
    [59_999, '59s'],
    [60_000, '1m00s'],
    [3_599_000, '59m59s'],
    [3_660_000, '1h01m'],
  ])('formats %i ms as %s', (ms, text) => {
    expect(formatElapsed(ms)).toBe(text);
  });
});
