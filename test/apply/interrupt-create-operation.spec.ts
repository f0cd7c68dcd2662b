import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ABORT_MESSAGE, DRAIN_MESSAGE } from '../../src/cli/interrupt.js';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { openStateStore } from '../../src/state/open.js';
import { ManifestDir } from '../helpers/apply-env.js';
import { executorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { withExecutor } from '../helpers/executor-env.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { useTempDirs } from '../state/helpers.js';
import { answered, spawnApply } from './helpers/interrupted-apply.js';

// README promises that the first Ctrl-C (or SIGTERM) lets calls in flight finish and that runs
// already started are reported and followed by the next plan; a create whose operation was still
// PROCESSING was polled on after it (up to the 15-minute operation wait; the delete of an
// interrupted create too), the apply saying "finishing calls in flight" all along. The wait now
// ends there, and the next apply resumes the operation recorded (review crash-44, M-1).

const STACK = /\n\s+at /;
// Removed after the file: a passing suite leaves nothing in TMPDIR.
const tempDir = useTempDirs();

describe('the first Ctrl-C while a create operation is polled', () => {
  it('stops polling: the operation is recorded for the next apply, which resumes it', async () => {
    // The create operation runs for the whole test: it is PROCESSING when the signal comes.
    await withEmulator({ operationDelayMs: 600_000 }, async (emulator) => {
      const root = await tempDir();
      const state = path.join(root, 'state');
      await mkdir(state);
      const env = executorEnv(emulator, state);
      const dir = new ManifestDir(path.join(root, 'm'));
      await dir.write([manifestObject('gold', { ingestion: { onCreate: false } })]);

      const polled = answered(env, 'getOperation');
      const apply = spawnApply(env, dir.dir, state, ['--poll-interval', '200ms']);
      await polled;
      apply.signal('SIGINT');
      await apply.stderrShows(DRAIN_MESSAGE);
      const after = env.emulator.control.counters().byEndpoint.getOperation.requests;
      // Polls after the drain, until the apply ends or five more have been sent.
      const fivePolls = new Promise<'still polling'>((resolve) => {
        const stop = env.emulator.control.observeRequests((request) => {
          if (request.endpoint !== 'getOperation') return;
          if (env.emulator.control.counters().byEndpoint.getOperation.requests >= after + 5) {
            stop();
            resolve('still polling');
          }
        });
      });
      const first = await Promise.race([apply.exited.then(() => 'exited' as const), fivePolls]);
      apply.signal('SIGINT');
      const result = await apply.exited;
      expect(first).toBe('exited');
      expect(result.stderr).not.toContain(ABORT_MESSAGE);
      expect(result.stderr).not.toMatch(STACK);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/prod\/gold create: .*PROCESSING/);
      const [operation] = env.emulator.control.listOperations(DEMO_CLIENT.orgId, 'prod');
      expect(operation?.status).toBe('PROCESSING');
      const store = await openStateStore(state);
      try {
        const record = (await store.readAll()).audiences.find((r) => r.key === 'gold');
        expect(record?.operationId).toBe(operation?.operationId);
      } finally {
        await store.close();
      }
    });
  });
});

/** gold's manifest removed, the only one: its delete is meant. */
const EMPTY = { allowEmptySource: true };

describe('the first Ctrl-C while the delete of an interrupted create waits for its operation', () => {
  it('stops waiting: the record is kept, and the next apply deletes the audience', async () => {
    await withExecutor({ operationDelayMs: 600_000 }, async (env) => {
      const gold = manifestObject('gold', { ingestion: { onCreate: false } });
      // A create stopped while its operation was polled: the operation id recorded, no audience id.
      const stop = new AbortController();
      const unobserve = env.emulator.control.observeRequests((request) => {
        if (request.endpoint === 'getOperation') stop.abort();
      });
      await env.apply([gold], { signal: stop.signal });
      unobserve();
      const [operation] = env.emulator.control.listOperations(DEMO_CLIENT.orgId, 'prod');
      expect((await env.store().get('prod', 'gold'))?.operationId).toBe(operation?.operationId);

      // The manifest removed: its delete waits for the operation, and the drain comes at its first poll.
      const drain = new AbortController();
      const unobserveDelete = env.emulator.control.observeRequests((request) => {
        if (request.endpoint === 'getOperation') drain.abort();
      });
      const stopped = await env.apply([], { drain: drain.signal, plan: EMPTY });
      unobserveDelete();
      expect(stopped.report?.results.map((r) => `${r.step.id} ${r.status} ${r.message}`)).toEqual([
        `prod/gold:delete failed operation ${operation?.operationId} still processing when the apply was stopped; the next apply deletes it`,
      ]);
      expect(env.emulator.control.listOperations(DEMO_CLIENT.orgId, 'prod')[0]?.status).toBe('PROCESSING');
      expect((await env.store().get('prod', 'gold'))?.operationId).toBe(operation?.operationId);

      env.emulator.control.finishOperation(DEMO_CLIENT.orgId, 'prod', operation!.operationId);
      const next = await env.apply([], { plan: EMPTY });
      expect(next.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/gold:delete applied',
      ]);
      expect(env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toEqual([]);
      expect(await env.store().get('prod', 'gold')).toBeUndefined();
    });
  });
});
