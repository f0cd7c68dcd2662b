import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { demoClient } from './helpers/start-options.js';
import { systemClock } from '../../src/apply/clock.js';
import type { Clock } from '../../src/apply/types.js';
import { shieldCalls } from '../../src/daemon/call-shield.js';
import { clientHooks } from '../../src/daemon/instruments.js';
import { createMetrics } from '../../src/daemon/metrics.js';
import { Reconciler } from '../../src/daemon/reconciler.js';
import { DEMO_CLIENT, DEMO_SANDBOX, startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { silentLogger } from '../../src/log.js';
import { DirectorySource } from '../../src/source/dir-source.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { applyInProcess } from '../apply/helpers/in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { parseExposition } from './helpers/prom-text.js';
import { reconcileSettings } from './helpers/reconcile-settings.js';

const HOUR = 3_600_000;
const ORG = DEMO_CLIENT.orgId;

let emulator: RunningEmulator | undefined;
let root: string | undefined;
let cleanup: (() => Promise<void>) | undefined;

afterEach(async () => {
  await cleanup?.();
  await emulator?.close();
  if (root) await rm(root, { recursive: true, force: true });
  cleanup = emulator = root = undefined;
});

/** Real time plus an offset the test moves forward: an hour passes at once. */
function movableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    sleep: (ms, signal) => systemClock.sleep(ms, signal),
    advance: (ms) => {
      offset += ms;
    },
  };
}

async function setup(options: { dryRun: boolean; refreshIntervalMs: number }) {
  emulator = await startEmulator({ port: 0, operationDelayMs: 10 });
  root = await mkdtemp(path.join(tmpdir(), 'audiencectl-refresh-'));
  const dir = path.join(root, 'manifests');
  await mkdir(dir);
  const manifests = Object.fromEntries(
    ['deleted', 'edited', 'kept'].map((key) => [
      `${key}.yaml`,
      manifestYaml(key, { ingestion: { onCreate: false } }),
    ]),
  );
  for (const [file, text] of Object.entries(manifests)) await writeFile(path.join(dir, file), text);
  const stateDir = path.join(root, 'state');
  const metrics = createMetrics({ defaultMetrics: false });
  const stop = new AbortController();
  const clock = movableClock();
  const client = demoClient(emulator, {
    retry: { baseDelayMs: 5, maxDelayMs: 20, rateLimitPauseMs: 20 },
    ...clientHooks(metrics),
  });
  const reconciler = new Reconciler({
    source: new DirectorySource(dir),
    store: new FileStateStore(stateDir),
    client: shieldCalls(client, { stop: stop.signal, cutoff: new AbortController().signal }),
    clock,
    metrics,
    logger: silentLogger(),
    settings: reconcileSettings(100, { dryRun: options.dryRun, bulkBatchSize: 2 }),
    intervalMs: HOUR,
    resyncIntervalMs: HOUR,
    refreshIntervalMs: options.refreshIntervalMs,
    requeueAfterMs: 200,
    backoff: { baseMs: 60_000, maxMs: 60_000 },
    signal: stop.signal,
  });
  cleanup = async () => {
    stop.abort();
    await reconciler.stop();
  };
  const em = emulator;
  const byName = () => new Map(em.control.listAudiences(ORG, DEMO_SANDBOX).map((a) => [a.audienceName, a]));
  const metric = async (name: string, kind: string) => {
    const text = await metrics.registry.metrics();
    return parseExposition(text).samples.find((s) => s.name === name && s.labels['kind'] === kind)?.value;
  };
  /** Someone in the UI deletes one audience and edits another. */
  const drift = () => {
    const ids = new Map([...byName()].map(([name, a]) => [name, a.audienceId]));
    em.control.uiDeleteAudience(ORG, DEMO_SANDBOX, ids.get('Audience deleted') ?? '');
    em.control.uiEditAudience(ORG, DEMO_SANDBOX, ids.get('Audience edited') ?? '', { labels: ['core/C9'] });
    em.control.resetCounters();
    return ids;
  };
  /** Converged by the first pass (which refreshes too, finding nothing), then drift. */
  const convergeThenDrift = async () => {
    reconciler.start();
    await reconciler.settled();
    return drift();
  };
  return { em, reconciler, clock, byName, metric, drift, convergeThenDrift, stateDir, manifests, dir };
}

/** Item 5 of issue 12, the controller: --refresh-interval reads back, shows and corrects drift. */
describe('controller refresh', () => {
  it('corrects drift once the interval has passed, and shows it in /status and the metrics', async () => {
    const { em, reconciler, clock, byName, metric, convergeThenDrift } = await setup({
      dryRun: false,
      refreshIntervalMs: HOUR,
    });
    const ids = await convergeThenDrift();
    expect(reconciler.status().refresh?.lastAt).not.toBeNull();

    // Before the interval: a forced pass trusts the records, and makes no call.
    reconciler.trigger('resync');
    await reconciler.settled();
    expect(em.control.counters().requests).toBe(0);

    clock.advance(HOUR);
    reconciler.trigger('refresh');
    await reconciler.settled();
    const counters = em.control.counters().byEndpoint;
    expect(counters.bulkGetAudiences.requests).toBe(2);
    expect(counters.createAudience.requests).toBe(1);
    expect(counters.patchAudience.requests).toBe(1);
    const remote = byName();
    expect(remote.get('Audience edited')?.labels).toEqual(['core/C1']);
    expect(remote.get('Audience deleted')?.audienceId).not.toBe(ids.get('Audience deleted'));
    const refresh = reconciler.status().refresh;
    expect(refresh?.intervalMs).toBe(HOUR);
    expect(refresh?.drifted.map((d) => `${d.kind} ${d.key} ${d.corrected}`)).toEqual([
      'deleted deleted true',
      'changed edited true',
    ]);
    expect(await metric('audiencectl_drift_detected_total', 'deleted')).toBe(1);
    expect(await metric('audiencectl_drift_detected_total', 'changed')).toBe(1);
    expect(await metric('audiencectl_drifted_audiences', 'deleted')).toBe(0);
  });

  it('reports an audience deactivated in the UI as drift a person settles: blocked, nothing created or PATCHed', async () => {
    // REVIEW-37c M-2: the refresh read lifecycleState "inactive" and said nothing.
    const { em, reconciler, clock, byName, metric } = await setup({ dryRun: false, refreshIntervalMs: HOUR });
    reconciler.start();
    await reconciler.settled();
    const kept = byName().get('Audience kept')?.audienceId ?? '';
    em.control.uiEditAudience(ORG, DEMO_SANDBOX, kept, { lifecycleState: 'inactive' });
    em.control.resetCounters();

    clock.advance(HOUR);
    reconciler.trigger('refresh');
    await reconciler.settled();
    const counters = em.control.counters().byEndpoint;
    expect(counters.createAudience.requests).toBe(0);
    expect(counters.patchAudience.requests).toBe(0);
    expect(counters.deleteAudience.requests).toBe(0);
    expect(byName().get('Audience kept')?.audienceId).toBe(kept);
    const status = reconciler.status();
    expect(status.refresh?.drifted.map((d) => `${d.kind} ${d.key} ${d.corrected}`)).toEqual([
      'deactivated kept false',
    ]);
    const audience = status.audiences.find((a) => a.key === 'kept');
    expect(`${audience?.state} ${audience?.lastError?.code}`).toBe('blocked STEP_BLOCKED');
    expect(await metric('audiencectl_drifted_audiences', 'deactivated')).toBe(1);
    expect(await metric('audiencectl_drift_detected_total', 'deactivated')).toBe(1);
  });

  it('in dry-run reports drift without correcting it; a failed refresh is an error, not a deletion', async () => {
    const { em, reconciler, clock, byName, metric, drift, stateDir, manifests, dir } = await setup({
      dryRun: true,
      refreshIntervalMs: HOUR,
    });
    // A dry run applies nothing: the state is converged by an apply (of the controller's
    // directory, which its records name) first.
    await applyInProcess(em, stateDir, manifests, undefined, { sourceRoot: dir });
    drift();
    reconciler.start();
    await reconciler.settled();
    let status = reconciler.status();
    expect(status.plan?.summary).toMatchObject({ create: 1, update: 1 });
    expect(status.refresh?.drifted.map((d) => `${d.kind} ${d.key} ${d.corrected}`)).toEqual([
      'deleted deleted false',
      'changed edited false',
    ]);
    expect(await metric('audiencectl_drifted_audiences', 'deleted')).toBe(1);
    expect(await metric('audiencectl_drifted_audiences', 'changed')).toBe(1);
    // The bulk-gets, the deleted one's own lookup and (after its 404) the list by its
    // audienceId: a dry run corrects nothing.
    const counters = em.control.counters();
    expect(counters.byEndpoint.getAudience.requests).toBe(1);
    expect(counters.byEndpoint.listAudiences.requests).toBe(1);
    expect(counters.requests - counters.byEndpoint.imsToken.requests).toBe(4);
    expect(byName().has('Audience deleted')).toBe(false);

    em.control.queueFault({ kind: 'error502', endpoint: 'bulkGetAudiences', count: 100 });
    clock.advance(HOUR);
    reconciler.trigger('refresh');
    await reconciler.settled();
    status = reconciler.status();
    expect(status.reconcile.lastResult).toBe('success');
    expect(status.refresh?.lastError?.code).toBe('REFRESH_FAILED');
    // Planned from the records alone: the failed read made nothing "deleted".
    expect(status.plan?.summary).toMatchObject({ create: 0, update: 0 });
    expect(status.refresh?.drifted).toHaveLength(2);
  });

  it('with --refresh-interval 0 never reads back', async () => {
    const { em, reconciler, clock, convergeThenDrift } = await setup({ dryRun: false, refreshIntervalMs: 0 });
    await convergeThenDrift();
    clock.advance(HOUR * 24);
    reconciler.trigger('resync');
    await reconciler.settled();
    expect(em.control.counters().requests).toBe(0);
    expect(reconciler.status().refresh).toMatchObject({ intervalMs: 0, lastAt: null, drifted: [] });
  });
});
