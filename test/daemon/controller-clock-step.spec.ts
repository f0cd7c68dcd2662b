import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startController } from '../../src/daemon/controller.js';
import type { LogLine } from './helpers/controller.js';
import { parseExposition } from './helpers/prom-text.js';
import { collectingLogger, controllerOptions } from './helpers/start-options.js';

const HOUR = 3_600_000;
const GRACE_MS = 25_000;

let root: string | undefined;

afterEach(async () => {
  vi.useRealTimers();
  if (root) await rm(root, { recursive: true, force: true });
  root = undefined;
});

/**
 * `run --dir … --dry-run` without credentials, in this process: nothing to wait for at stop.
 * `onPlan`: called as a pass plans.
 */
async function idleController(logs: LogLine[], onPlan: () => void = () => undefined) {
  root = await mkdtemp(path.join(tmpdir(), 'audiencectl-clock-step-'));
  const dir = path.join(root, 'manifests');
  const stateDir = path.join(root, 'state');
  await mkdir(dir);
  await mkdir(stateDir);
  return startController(
    controllerOptions(
      dir,
      { kind: 'dir', dir: stateDir },
      { logger: collectingLogger(logs), shutdownGraceMs: GRACE_MS },
      {
        planOptions: (now) => {
          onPlan();
          return { now, allowReplace: false, allowMassDelete: false, allowEmptySource: false };
        },
      },
    ),
  );
}

describe('the controller stopping while NTP steps the wall clock', () => {
  it.each([
    { step: 'an hour ahead', by: HOUR },
    { step: 'an hour back', by: -HOUR },
  ])('says a clean stop was within the grace period, the clock stepped $step', async ({ by }) => {
    const logs: LogLine[] = [];
    const controller = await idleController(logs);
    await controller.reconciler.settled();
    // Only Date is faked: performance.now, timers and the servers run as they do.
    vi.useFakeTimers({ toFake: ['Date'] });
    const stopping = controller.stop('SIGTERM');
    vi.setSystemTime(Date.now() + by);
    // run exits with 0 on true, 1 on false (an overrun grace period).
    expect(await stopping).toBe(true);
    const stopped = logs.find((line) => line.msg === 'stopped');
    expect(stopped?.['ms']).toBeGreaterThanOrEqual(0);
  });
});

describe('a pass while NTP steps the wall clock an hour back', () => {
  it('is given a duration that is not negative, in the metric and the log', async () => {
    const logs: LogLine[] = [];
    // Only Date is faked: performance.now, timers and the servers run as they do.
    vi.useFakeTimers({ toFake: ['Date'] });
    let stepped = false;
    const controller = await idleController(logs, () => {
      if (!stepped) vi.setSystemTime(Date.now() - HOUR);
      stepped = true;
    });
    try {
      await controller.reconciler.settled();
      expect(stepped).toBe(true);
      const text = await (await fetch(`${controller.url}/metrics`)).text();
      const sum = parseExposition(text).samples.find(
        (sample) => sample.name === 'audiencectl_reconcile_duration_seconds_sum',
      );
      expect(sum?.value).toBeGreaterThanOrEqual(0);
      const finished = logs.find((line) => line.msg === 'reconcile finished');
      expect(finished?.['ms']).toBeGreaterThanOrEqual(0);
    } finally {
      await controller.stop('test over');
    }
  });
});
