import { describe, expect, it } from 'vitest';
import { CoalescingTrigger, type TriggerReason } from './triggers.js';

/** A pass runner whose passes end when the test says so. */
function controlledRunner() {
  const passes: Array<ReadonlySet<TriggerReason>> = [];
  let finish: (() => void) | undefined;
  let started: (() => void) | undefined;
  let startedPromise = new Promise<void>((resolve) => (started = resolve));
  const run = (reasons: ReadonlySet<TriggerReason>) => {
    passes.push(reasons);
    started?.();
    return new Promise<void>((resolve) => (finish = resolve));
  };
  return {
    passes,
    run,
    /** Resolves when the next pass has started. */
    async nextStart() {
      await startedPromise;
      startedPromise = new Promise<void>((resolve) => (started = resolve));
    },
    finish() {
      finish?.();
    },
  };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('CoalescingTrigger', () => {
  it('runs one pass for requests made together', async () => {
    const passes: Array<ReadonlySet<TriggerReason>> = [];
    const trigger = new CoalescingTrigger(
      (reasons) => Promise.resolve(void passes.push(reasons)),
      () => undefined,
    );
    trigger.request('poll');
    trigger.request('webhook');
    trigger.request('poll');
    await trigger.settled();
    expect(passes).toEqual([new Set(['poll', 'webhook'])]);
  });

  it('merges every request made during a pass into exactly one more pass', async () => {
    const runner = controlledRunner();
    const trigger = new CoalescingTrigger(runner.run, () => undefined);
    trigger.request('startup');
    await runner.nextStart();
    expect(trigger.running).toBe(true);
    for (const reason of ['watch', 'watch', 'webhook', 'resync', 'watch'] as const) trigger.request(reason);
    expect(trigger.queued).toEqual(['resync', 'watch', 'webhook']);
    runner.finish();
    await runner.nextStart();
    expect(runner.passes).toHaveLength(2);
    expect(runner.passes[1]).toEqual(new Set(['watch', 'webhook', 'resync']));
    expect(trigger.queued).toEqual([]);
    runner.finish();
    await trigger.settled();
    expect(runner.passes).toHaveLength(2);
    expect(trigger.running).toBe(false);
  });

  it('never runs two passes at once', async () => {
    let active = 0;
    let most = 0;
    let count = 0;
    const trigger = new CoalescingTrigger(
      async () => {
        active += 1;
        most = Math.max(most, active);
        count += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
        active -= 1;
      },
      () => undefined,
    );
    for (let i = 0; i < 20; i += 1) {
      trigger.request('poll');
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await trigger.settled();
    expect(most).toBe(1);
    expect(count).toBeLessThan(20);
    expect(count).toBeGreaterThanOrEqual(2);
  });

  it('keeps going after a pass throws', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const trigger = new CoalescingTrigger(
      () => {
        calls += 1;
        return calls === 1 ? Promise.reject(new Error('boom')) : Promise.resolve();
      },
      (error) => errors.push(error),
    );
    trigger.request('poll');
    await trigger.settled();
    trigger.request('poll');
    await trigger.settled();
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
  });

  it('stop drops waiting requests, waits for the current pass, and refuses new ones', async () => {
    const runner = controlledRunner();
    const trigger = new CoalescingTrigger(runner.run, () => undefined);
    trigger.request('startup');
    await runner.nextStart();
    trigger.request('webhook');
    let stopped = false;
    const stopping = trigger.stop().then(() => (stopped = true));
    await tick();
    expect(stopped).toBe(false);
    runner.finish();
    await stopping;
    trigger.request('poll');
    await tick();
    await tick();
    expect(runner.passes).toHaveLength(1);
  });
});
