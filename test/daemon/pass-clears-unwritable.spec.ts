import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { demoClient } from './helpers/start-options.js';
import { shieldCalls } from '../../src/daemon/call-shield.js';
import { clientHooks } from '../../src/daemon/instruments.js';
import { createMetrics } from '../../src/daemon/metrics.js';
import { Reconciler } from '../../src/daemon/reconciler.js';
import { watchWrites } from '../../src/daemon/write-failures.js';
import { DEMO_CLIENT, DEMO_SANDBOX, startEmulator } from '../../src/emulator/index.js';
import { silentLogger } from '../../src/log.js';
import { DirectorySource } from '../../src/source/dir-source.js';
import { StateError } from '../../src/state/errors.js';
import { FileStateStore } from '../../src/state/file-store.js';
import type { StateStore } from '../../src/state/store.js';
import { aRecord } from '../state/helpers.js';
import { manifestYaml } from '../helpers/manifests.js';
import { reconcileSettings } from './helpers/reconcile-settings.js';

const HOUR = 3_600_000;

/**
 * A write the store refused as it takes none (STATE_UNWRITABLE) fails the pass that met it, after
 * its steps (write-failures.ts, PassDeps.unwritable). One left by what came before a pass (a pass
 * that failed before taking it, a dry run's, a standby's) is not that pass's: a pass whose own
 * writes all succeed ends well, and the controller is ready. The pass forgets it as it starts.
 */
describe('a pass, of a store whose earlier write failure is still remembered', () => {
  it('forgets it as it starts: its own writes succeeded, it ends well', async () => {
    const emulator = await startEmulator({ port: 0 });
    const root = await mkdtemp(path.join(tmpdir(), 'audiencectl-pass-clears-unwritable-'));
    onTestFinished(async () => {
      await emulator.close();
      await rm(root, { recursive: true, force: true });
    });
    // A write refused before this pass (the volume read-only then), remembered by the watch.
    const refusing = watchWrites({
      put: () =>
        Promise.reject(new StateError('STATE_UNWRITABLE', 'cannot write state file gold.json: read-only')),
    } as unknown as StateStore);
    await expect(refusing.store.put(aRecord('gold'))).rejects.toMatchObject({ code: 'STATE_UNWRITABLE' });

    const dir = path.join(root, 'manifests');
    await mkdir(dir);
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
    const metrics = createMetrics({ defaultMetrics: false });
    const stop = new AbortController();
    const client = demoClient(emulator, clientHooks(metrics));
    const reconciler = new Reconciler({
      source: new DirectorySource(dir),
      store: new FileStateStore(path.join(root, 'state')),
      unwritable: () => refusing.take(),
      client: shieldCalls(client, { stop: stop.signal, cutoff: new AbortController().signal }),
      metrics,
      logger: silentLogger(),
      settings: reconcileSettings(100),
      intervalMs: HOUR,
      resyncIntervalMs: HOUR,
      requeueAfterMs: 200,
      backoff: { baseMs: 200, maxMs: 800 },
      signal: stop.signal,
    });
    onTestFinished(async () => {
      stop.abort();
      await reconciler.stop();
    });
    reconciler.start();
    await reconciler.settled();

    const status = reconciler.status();
    expect(status.reconcile.lastError).toBeNull();
    expect(status.reconcile.lastResult).toBe('success');
    expect(
      emulator.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX).map((a) => a.audienceName),
    ).toEqual(['Audience gold']);
    // Taken by the pass: nothing is left for the next one either.
    expect(refusing.take()).toBeUndefined();
  });
});
