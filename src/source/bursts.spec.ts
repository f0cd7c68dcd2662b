import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { collectBursts, defaultMaxWaitMs } from './bursts.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Adds `count` events `gapMs` apart (the first at once); returns the reports and when each came. */
function burst(debounceMs: number, count: number, gapMs: number, maxWaitMs = defaultMaxWaitMs(debounceMs)) {
  const reports: { at: number; items: string[] }[] = [];
  const start = performance.now();
  const bursts = collectBursts((items) => reports.push({ at: performance.now() - start, items }), {
    debounceMs,
    maxWaitMs,
  });
  for (let i = 1; i <= count; i += 1) {
    bursts.add(`doc-${String(i).padStart(2, '0')}.yaml`);
    if (i < count) vi.advanceTimersByTime(gapMs);
  }
  return { reports, bursts };
}

describe('collectBursts', () => {
  it('a 10 s debounce: a 6 s burst with 900 ms gaps is one change, 10 s after its last event', () => {
    const { reports } = burst(10_000, 7, 900);
    vi.advanceTimersByTime(60_000);
    expect(reports).toEqual([
      {
        at: 6 * 900 + 10_000,
        items: [
          'doc-01.yaml',
          'doc-02.yaml',
          'doc-03.yaml',
          'doc-04.yaml',
          'doc-05.yaml',
          'doc-06.yaml',
          'doc-07.yaml',
        ],
      },
    ]);
  });

  it('the default 300 ms: 14 documents 200 ms apart (2.6 s) are one change', () => {
    const { reports } = burst(300, 14, 200);
    vi.advanceTimersByTime(10_000);
    expect(reports.map((r) => [r.at, r.items.length])).toEqual([[13 * 200 + 300, 14]]);
  });

  it('a writer that never stops is reported after ten quiet periods (at least 2 s), then again', () => {
    // Events at 0, 0.5 s, …, 12 s: the first 20 (up to 9.5 s) are reported at 10 s.
    const { reports } = burst(1_000, 25, 500);
    expect(reports.map((r) => [r.at, r.items.length])).toEqual([[10_000, 20]]);
    vi.advanceTimersByTime(10_000);
    expect(reports.map((r) => [r.at, r.items.length])).toEqual([
      [10_000, 20],
      [13_000, 5],
    ]);
    // 100 ms debounce, events 50 ms apart for 3 s: the 2 s floor, not 1 s.
    const small = burst(100, 61, 50);
    expect(small.reports.map((r) => [r.at, r.items.length])).toEqual([[2_000, 40]]);
  });

  it('a maximum wait under the quiet time is raised to it', () => {
    const { reports } = burst(1_000, 3, 400, 200);
    expect(reports).toEqual([]);
    vi.advanceTimersByTime(200);
    expect(reports.map((r) => r.at)).toEqual([1_000]);
  });

  it('reports nothing after close', () => {
    const { reports, bursts } = burst(300, 2, 100);
    bursts.close();
    vi.advanceTimersByTime(10_000);
    expect(reports).toEqual([]);
  });
});
