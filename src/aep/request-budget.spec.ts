import { getEventListeners } from 'node:events';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RequestBudget, RequestBudgets, SlidingWindow, type Clock } from './request-budget.js';

/** A clock whose time only moves when every sleeper before it has woken: exact and instant. */
function manualClock(): Clock & { run(): Promise<void>; time: number } {
  const sleepers: Array<{ at: number; resolve: () => void }> = [];
  const clock = {
    time: 0,
    now: () => clock.time,
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        sleepers.push({ at: clock.time + ms, resolve });
      }),
    /** Advances to each wake-up in turn until nobody sleeps. */
    async run(): Promise<void> {
      for (;;) {
        await flush();
        sleepers.sort((a, b) => a.at - b.at);
        const next = sleepers.shift();
        if (!next) return;
        clock.time = Math.max(clock.time, next.at);
        next.resolve();
      }
    },
  };
  return clock;
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
  await new Promise((resolve) => setImmediate(resolve));
}

function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while ((sorted[end] ?? 0) - (sorted[start] ?? 0) >= windowMs) start += 1;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

describe('SlidingWindow', () => {
  it('lets `limit` start at once, then one per expiry', () => {
    const window = new SlidingWindow(3, 100);
    for (const t of [0, 10, 20]) {
      expect(window.delay(t)).toBe(0);
      window.record(t);
    }
    expect(window.delay(20)).toBe(80);
    expect(window.delay(100)).toBe(0);
    window.record(100);
    expect(window.delay(100)).toBe(10);
  });

  it('never holds more than `limit` starts in any window (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 500 }),
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 200 }),
        (limit, interval, gaps) => {
          const window = new SlidingWindow(limit, interval);
          const starts: number[] = [];
          let now = 0;
          for (const gap of gaps) {
            now += gap;
            now += window.delay(now);
            window.record(now);
            starts.push(now);
          }
          return maxInWindow(starts, interval) <= limit;
        },
      ),
    );
  });
});

describe('RequestBudget', () => {
  it('admits in arrival order at the window rate', async () => {
    const clock = manualClock();
    const budget = new RequestBudget({ requests: 2, intervalMs: 100, concurrency: 10 }, clock);
    const admitted: Array<[number, number]> = [];
    const all = Array.from({ length: 6 }, (_, i) =>
      budget.admit().then(() => {
        admitted.push([i, clock.now()]);
      }),
    );
    await clock.run();
    await Promise.all(all);
    expect(admitted).toEqual([
      [0, 0],
      [1, 0],
      [2, 100],
      [3, 100],
      [4, 200],
      [5, 200],
    ]);
  });

  it('holds every request during a pause, and never shortens one', async () => {
    const clock = manualClock();
    const budget = new RequestBudget({ requests: 100, intervalMs: 1000, concurrency: 10 }, clock);
    budget.pause(500);
    budget.pause(200);
    expect(budget.pausedFor()).toBe(500);
    const times: number[] = [];
    const all = [budget.admit(), budget.admit()].map((p) => p.then(() => times.push(clock.now())));
    await clock.run();
    await Promise.all(all);
    expect(times).toEqual([500, 500]);
    expect(budget.stats()).toMatchObject({ admitted: 2, pauses: 1 });
  });

  it('extends a wait already in progress when a pause arrives', async () => {
    const clock = manualClock();
    const budget = new RequestBudget({ requests: 1, intervalMs: 100, concurrency: 10 }, clock);
    await budget.admit();
    const second = budget.admit().then(() => clock.now());
    await flush();
    budget.pause(300);
    await clock.run();
    expect(await second).toBe(300);
  });

  it('limits concurrency', async () => {
    const budget = new RequestBudget({ requests: 100, intervalMs: 1000, concurrency: 2 });
    let running = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        budget.run(async () => {
          running += 1;
          most = Math.max(most, running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running -= 1;
        }),
      ),
    );
    expect(most).toBe(2);
  });

  it('lets an aborted waiter go without taking a slot', async () => {
    const clock = manualClock();
    const budget = new RequestBudget({ requests: 1, intervalMs: 100, concurrency: 10 }, clock);
    await budget.admit();
    const controller = new AbortController();
    const aborted = budget.admit(controller.signal);
    const next = budget.admit().then(() => clock.now());
    controller.abort();
    await expect(aborted).rejects.toThrow(/abort/i);
    await clock.run();
    expect(await next).toBe(100);
  });

  it('holds many calls waiting on one signal without a listener per call, and cancels them all', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const budget = new RequestBudget({ concurrency: 1 });
      const controller = new AbortController();
      let release!: () => void;
      const running = budget.run(() => new Promise<string>((resolve) => (release = () => resolve('first'))));
      // 30 calls behind the running one, all cancelled by one signal (a pass's, say).
      const ran: number[] = [];
      const waiting = Array.from({ length: 30 }, (_, index) =>
        budget.run(() => {
          ran.push(index);
          return Promise.resolve(index);
        }, controller.signal),
      );
      const settled = Promise.allSettled(waiting);
      const listeners = getEventListeners(controller.signal, 'abort').length;
      controller.abort();
      const outcomes = await settled;
      expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
      release();
      expect(await running).toBe('first');
      // Nothing cancelled runs afterwards; the queue is empty again.
      expect(await budget.run(() => Promise.resolve('after'))).toBe('after');
      expect(ran).toEqual([]);
      expect(budget.stats()).toMatchObject({ queued: 0, inFlight: 0 });
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning');
      expect(listeners).toBe(1);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('runs the calls waiting on one signal in turn, and lets go of the signal after', async () => {
    const budget = new RequestBudget({ concurrency: 2 });
    const controller = new AbortController();
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, index) => budget.run(() => Promise.resolve(index), controller.signal)),
    );
    expect(results).toEqual(Array.from({ length: 25 }, (_, index) => index));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects impossible settings', () => {
    expect(() => new RequestBudget({ requests: 0 })).toThrow(RangeError);
    expect(() => new RequestBudget({ concurrency: 1.5 })).toThrow(RangeError);
    expect(() => new RequestBudget({ intervalMs: 0 })).toThrow(RangeError);
  });
});

describe('RequestBudget on the system clock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is not held longer when the wall clock is stepped back', () => {
    // Only Date is faked: performance.now and timers run as they do.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-01T12:00:00Z'));
    const budget = new RequestBudget({ requests: 1, intervalMs: 50, concurrency: 1 });
    budget.pause(100);
    // NTP steps the wall clock an hour back: the 100 ms pause must not become an hour.
    vi.setSystemTime(new Date('2026-12-01T11:00:00Z'));
    expect(budget.pausedFor()).toBeLessThanOrEqual(100);
  });
});

describe('RequestBudgets.pauseGroup', () => {
  it("pauses the group's sandboxes, those called later included, and no other group's", () => {
    const clock = manualClock();
    const org: Record<string, string> = { prod: 'A', dev: 'A', partner: 'B' };
    const budgets = new RequestBudgets(
      () => ({}),
      clock,
      (sandbox) => org[sandbox] ?? sandbox,
    );
    const prod = budgets.for('prod');
    const partner = budgets.for('partner');
    budgets.pauseGroup('A', 400);
    clock.time = 100;
    expect(prod.pausedFor()).toBe(300);
    expect(partner.pausedFor()).toBe(0);
    // dev's first call comes during its org's pause: it waits out what is left of it.
    expect(budgets.for('dev').pausedFor()).toBe(300);
    clock.time = 500;
    expect(budgets.for('dev').pausedFor()).toBe(0);
  });
});
