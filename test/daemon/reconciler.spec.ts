import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { demoClient } from './helpers/start-options.js';
import { shieldCalls } from '../../src/daemon/call-shield.js';
import { clientHooks } from '../../src/daemon/instruments.js';
import { createMetrics } from '../../src/daemon/metrics.js';
import { Reconciler } from '../../src/daemon/reconciler.js';
import {
  DEMO_CLIENT,
  DEMO_SANDBOX,
  startEmulator,
  type EmulatorOptions,
  type RunningEmulator,
} from '../../src/emulator/index.js';
import { silentLogger } from '../../src/log.js';
import { DirectorySource } from '../../src/source/dir-source.js';
import type { Source } from '../../src/source/types.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { manifestYaml } from '../helpers/manifests.js';
import { eventually, sleep } from './helpers/controller.js';
import { reconcileSettings } from './helpers/reconcile-settings.js';

const HOUR = 3_600_000;

let emulator: RunningEmulator | undefined;
let root: string | undefined;
let cleanup: (() => Promise<void>) | undefined;

afterEach(async () => {
  await cleanup?.();
  await emulator?.close();
  if (root) await rm(root, { recursive: true, force: true });
  cleanup = emulator = root = undefined;
});

/** A directory source that counts its syncs (when each began: `times`, performance.now) and takes `delayMs` for each. */
function countingSource(dir: string, delayMs: number): Source & { syncs: number; times: number[] } {
  const inner = new DirectorySource(dir);
  const source = {
    syncs: 0,
    times: [] as number[],
    async sync(signal?: AbortSignal) {
      source.syncs += 1;
      source.times.push(performance.now());
      await sleep(delayMs);
      return inner.sync(signal);
    },
    close: () => inner.close(),
  };
  return source;
}

async function setup(
  emulatorOptions: EmulatorOptions,
  syncDelayMs = 0,
  runWaitMs = 100,
  isLeader?: () => boolean,
  requeueAfterMs = 200,
) {
  emulator = await startEmulator({ port: 0, ...emulatorOptions });
  root = await mkdtemp(path.join(tmpdir(), 'audiencectl-reconciler-'));
  const dir = path.join(root, 'manifests');
  await mkdir(dir);
  const metrics = createMetrics({ defaultMetrics: false });
  const stop = new AbortController();
  const client = demoClient(emulator, clientHooks(metrics));
  const source = countingSource(dir, syncDelayMs);
  const reconciler = new Reconciler({
    source,
    store: new FileStateStore(path.join(root, 'state')),
    client: shieldCalls(client, { stop: stop.signal, cutoff: new AbortController().signal }),
    metrics,
    logger: silentLogger(),
    settings: reconcileSettings(runWaitMs),
    intervalMs: HOUR,
    resyncIntervalMs: HOUR,
    requeueAfterMs,
    backoff: { baseMs: 200, maxMs: 800 },
    signal: stop.signal,
    ...(isLeader ? { isLeader } : {}),
  });
  cleanup = async () => {
    stop.abort();
    await reconciler.stop();
  };
  const em = emulator;
  return {
    em,
    dir,
    source,
    reconciler,
    metrics,
    audiences: () => em.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX),
  };
}

describe('Reconciler', () => {
  it('coalesces triggers that arrive during a pass into one more pass', async () => {
    const { dir, source, reconciler, audiences } = await setup({}, 150);
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
    reconciler.start();
    await eventually(() => reconciler.status().reconcile.running || source.syncs > 0, Boolean, 2_000);
    for (const reason of ['watch', 'watch', 'webhook', 'watch', 'poll'] as const) reconciler.trigger(reason);
    expect(reconciler.status().reconcile.queued).toEqual(['poll', 'watch', 'webhook']);
    await sleep(50);
    await reconciler.settled();
    expect(source.syncs).toBe(2);
    expect(audiences()).toHaveLength(1);
    // The second pass found the revision it had reconciled: nothing to do, no API call.
    expect(reconciler.status().reconcile.lastResult).toBe('success');
  });

  it('on a standby, syncs the source and reconciles nothing: no call, no record', async () => {
    const { em, dir, source, reconciler } = await setup({}, 0, 100, () => false);
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
    reconciler.start();
    await eventually(
      () => source.syncs,
      (syncs) => syncs >= 1,
      2_000,
      'a sync',
    );
    await reconciler.settled();
    expect(em.control.requestLog()).toEqual([]);
    expect(reconciler.status().reconcile.lastResult).toBeNull();
    await expect(readdir(path.join(root ?? '', 'state'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('backs a failing audience off exponentially and tries a fix at once', async () => {
    // newerRules: the emulator refuses a source path with spaces, which the loader only warns about.
    const { em, dir, reconciler, audiences } = await setup({ newerRules: true });
    const sourceSpec = {
      path: 'exports/gold list.csv',
      type: 'file',
      sourceType: 'Cloud Storage',
      cloudType: 'DLZ',
    } as const;
    const spaced = { ingestion: { onCreate: false }, spec: { sourceSpec } };
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', spaced));
    reconciler.start();
    const gold = () => reconciler.status().audiences.find((a) => a.key === 'gold');
    await eventually(gold, (a) => a?.state === 'backoff', 3_000, 'a backoff');
    expect(gold()).toMatchObject({ failures: 1, lastError: { code: 'STEP_FAILED' } });
    await eventually(gold, (a) => (a?.failures ?? 0) >= 3, 3_000, 'two retries');
    // One reading of both, taken whenever this worker gets to it: on a loaded runner that may be
    // after a fourth failure, or most of the way to it (nextAttemptAt 182 ms away, read 600 ms late).
    const { failures = 0, lastError, nextAttemptAt } = gold() ?? {};
    const attempts = em.control.counters().byEndpoint.createAudience.requests;
    // Not spinning: each attempt is at most two POSTs (the 400 names sourceSpec, so the client
    // retries once with the flat shape), the failures counted and one more attempt in flight.
    expect(attempts).toBeLessThanOrEqual(2 * (failures + 1));
    // 200 ms, then 400 ms, then 800 ms (the most): the next attempt waits that long from the last failure.
    expect(Date.parse(nextAttemptAt ?? '') - Date.parse(lastError?.at ?? '')).toBe(800);

    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
    reconciler.trigger('watch');
    await eventually(gold, (a) => a?.state === 'in-sync', 2_000, 'the fix applied at once');
    expect(audiences()).toHaveLength(1);
    expect(gold()?.failures).toBeUndefined();
  });

  it('requeues a run request while a run is in progress instead of waiting in the pass', async () => {
    // The first run lasts until the test ends it (two stages of an hour, then the service's clock
    // moved past them): with stages of 1 s, the pass after the edit had to come within 2 s to find
    // it in progress, and with the worker late 2.5 s (on purpose) it found it ended, requeued nothing.
    const { em, dir, source, reconciler, audiences, metrics } = await setup(
      { runStageDelayMs: HOUR },
      0,
      100,
      undefined,
      // Well above a pass's own length (about 170 ms here): with requeues 200 ms apart, a requeue
      // that waited for nothing still left its passes 170 ms or more apart, once 200.
      1_000,
    );
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: true } }));
    reconciler.start();
    const gold = () => reconciler.status().audiences.find((a) => a.key === 'gold');
    await eventually(gold, (a) => a?.state === 'waiting-run', 3_000, 'a run in progress');

    const requeued = async () =>
      Number(
        /audiencectl_steps_total\{kind="run",result="requeued"\} (\d+)/.exec(
          await metrics.registry.getSingleMetricAsString('audiencectl_steps_total'),
        )?.[1] ?? 0,
      );
    const before = await requeued();
    await writeFile(
      path.join(dir, 'gold.yaml'),
      manifestYaml('gold', { ingestion: { onCreate: true, request: 'again' } }),
    );
    reconciler.trigger('watch');
    // The edit's pass and the one after it requeued the run; from then on only requeues ask for passes.
    await eventually(requeued, (count) => count >= before + 2, 10_000, 'two requeues');
    const requeuesFrom = performance.now();
    await eventually(requeued, (count) => count >= before + 5, 20_000, 'three more');
    const audienceId = audiences()[0]?.audienceId ?? '';
    const runs = () => em.control.listRuns(DEMO_CLIENT.orgId, DEMO_SANDBOX, audienceId);
    expect(runs()).toHaveLength(1);
    // The run ends: the service's clock past its two stages, the next run's stages short.
    em.control.setDelays({ runStageDelayMs: 10 });
    em.control.updateSettings({ clockOffsetMs: 3 * HOUR });
    await eventually(runs, (list) => list.length === 2, 15_000, 'the requested run');
    // Each requeue's pass began 1 s (requeueAfterMs) or more after the one before it: not a
    // spin. The service never refused a run.
    const requeues = source.times.filter((at) => at >= requeuesFrom);
    expect(requeues.length).toBeGreaterThanOrEqual(2);
    const gaps = requeues.slice(1).map((at, i) => at - requeues[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(999);
    expect(em.control.counters().byEndpoint.startRun.byStatus['422'] ?? 0).toBe(0);
    const steps = await metrics.registry.getSingleMetricAsString('audiencectl_steps_total');
    expect(steps).toMatch(/audiencectl_steps_total\{kind="run",result="requeued"\} [1-9]/);
  });
});
