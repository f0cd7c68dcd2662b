import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js';
import type { ManifestInput } from '../../src/manifest/schema.js';
import { openStateStore } from '../../src/state/open.js';
import { lockPath } from '../../src/state/paths.js';
import { apply, emulatorEnv, ManifestDir } from '../helpers/apply-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { useTempDirs } from './helpers.js';
import { takeOverDirLock } from '../helpers/taken-over-lock.js';

// A directory store's lock taken over by another process while a call is in flight: the call
// reaches the service and is answered, and the write of its answer finds the lock lost
// (STATE_LOCK_LOST). The takeover is made as the emulator answers that call, never at a
// wall-clock instant. The PostgreSQL store's cases are in pg-failures.spec.ts.
const tempDir = useTempDirs();

type Mutation = 'patchAudience' | 'deleteAudience' | 'startRun';
/** The calls whose answer the lock is taken over at: a mutation, or a followed run's status. */
type Answered = Mutation | 'getRun';

/**
 * As the emulator answers the first `endpoint` request (the service has done it), another
 * process takes the store's lock over: this apply's next write finds the lock lost.
 */
function takeOverLockAt(emulator: RunningEmulator, state: string, endpoint: Answered): () => void {
  let done = false;
  return emulator.control.observeRequests(async (request) => {
    if (done || request.endpoint !== endpoint) return;
    done = true;
    await takeOverDirLock(state);
  });
}

/** A manifest directory, a fresh directory store, the emulator's environment; `before` applied. */
async function appliedDirStore(emulator: RunningEmulator, before: readonly ManifestInput[]) {
  const root = await tempDir();
  const dir = new ManifestDir(path.join(root, 'm'));
  const state = path.join(root, 'state');
  const env = emulatorEnv(emulator);
  await dir.write(before);
  expect((await apply(dir.dir, state, env)).code).toBe(0);
  return { dir, state, env };
}

/** The apply whose call's answer finds the lock taken over; the other process then lets it go. */
async function applyLosingLockAt(
  emulator: RunningEmulator,
  { dir, state, env }: Awaited<ReturnType<typeof appliedDirStore>>,
  endpoint: Answered,
) {
  const stop = takeOverLockAt(emulator, state, endpoint);
  try {
    const result = await apply(dir.dir, state, env);
    expect(result.code, result.stdout).toBe(1);
    expect(result.stderr).toContain('Error: lost the state lock ');
    return result;
  } finally {
    stop();
    await rm(lockPath(state), { force: true });
  }
}

function requestsTo(emulator: RunningEmulator, endpoint: Mutation): number {
  return emulator.control.counters().byEndpoint[endpoint].requests;
}

async function recordOf(state: string, key: string) {
  const store = await openStateStore(state);
  try {
    return await store.get('prod', key);
  } finally {
    await store.close();
  }
}

describe('a directory store whose lock is taken over as a call is answered', { timeout: 120_000 }, () => {
  it('a PATCH sent is a failed update said sent, never "skipped"; the next apply sends it again, to the same end', async () => {
    await withEmulator({}, async (emulator) => {
      const stores = await appliedDirStore(emulator, [manifestObject('gold')]);
      const [audience] = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      await stores.dir.write([manifestObject('gold', { spec: { description: 'Gold, revised' } })]);
      const first = await applyLosingLockAt(emulator, stores, 'patchAudience');
      expect(first.stdout).not.toMatch(/skipped +prod\/gold update/);
      expect(first.stdout).toContain(
        `FAILED   prod/gold update: PATCH sent (${audience!.audienceId}: description patched) but not recorded (`,
      );
      const second = await apply(stores.dir.dir, stores.state, stores.env);
      expect(second.code, `${second.stdout}${second.stderr}`).toBe(0);
      expect(requestsTo(emulator, 'patchAudience')).toBe(2);
      expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.description)).toEqual([
        'Gold, revised',
      ]);
      expect((await apply(stores.dir.dir, stores.state, stores.env)).stdout).toContain('No changes.');
    });
  });

  it('a DELETE sent is a failed delete said sent; the next apply finishes it, the record keeping only the runs that count', async () => {
    await withEmulator({}, async (emulator) => {
      const silver = manifestObject('silver');
      // gold has run once (on create): its record outlives the audience with that run only.
      const stores = await appliedDirStore(emulator, [manifestObject('gold'), silver]);
      const gold = emulator.control
        .listAudiences(DEMO_CLIENT.orgId, 'prod')
        .find((a) => a.audienceName === manifestObject('gold').spec.name)!;
      await stores.dir.write([silver]);
      const first = await applyLosingLockAt(emulator, stores, 'deleteAudience');
      expect(first.stdout).not.toMatch(/skipped +prod\/gold delete/);
      expect(first.stdout).toContain(
        `FAILED   prod/gold delete: DELETE sent (${gold.audienceId} deleted) but not recorded (`,
      );
      expect((await recordOf(stores.state, 'gold'))?.intent?.kind).toBe('delete');
      const second = await apply(stores.dir.dir, stores.state, stores.env);
      expect(second.code, `${second.stdout}${second.stderr}`).toBe(0);
      expect(second.stdout).toContain(
        `resumed: prod/gold: finished an interrupted delete of ${gold.audienceId}`,
      );
      expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.audienceName)).toEqual([
        silver.spec.name,
      ]);
      const record = await recordOf(stores.state, 'gold');
      expect(record?.audienceId, 'no audience recorded under gold').toBeUndefined();
      expect(record?.intent).toBeUndefined();
      expect(record?.runs).toHaveLength(1);
      expect((await apply(stores.dir.dir, stores.state, stores.env)).stdout).toContain('No changes.');
    });
  });

  it('a run request sent is a failed run said sent; the next apply adopts that run and starts none', async () => {
    await withEmulator({}, async (emulator) => {
      const stores = await appliedDirStore(emulator, [manifestObject('gold')]);
      await stores.dir.write([manifestObject('gold', { ingestion: { request: 'r2' } })]);
      const first = await applyLosingLockAt(emulator, stores, 'startRun');
      const started = emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod').at(-1)!;
      expect(first.stdout).not.toMatch(/skipped +prod\/gold run/);
      expect(first.stdout).toContain(
        `FAILED   prod/gold run: run request sent (run ${started.runId} started) but not recorded (`,
      );
      const second = await apply(stores.dir.dir, stores.state, stores.env);
      expect(second.code, `${second.stdout}${second.stderr}`).toBe(0);
      expect(second.stdout).toContain(
        `resumed: prod/gold: adopted run ${started.runId} started by an interrupted apply`,
      );
      expect(requestsTo(emulator, 'startRun'), 'the run on create, and r2 once').toBe(2);
      expect(emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod')).toHaveLength(2);
      expect((await recordOf(stores.state, 'gold'))?.applied?.ingestionRequest).toBe('r2');
      expect((await apply(stores.dir.dir, stores.state, stores.env)).stdout).toContain('No changes.');
    });
  });

  it('a run started and recorded, the lock lost while it is followed, is reported started and recorded, never "skipped"; the next apply starts none', async () => {
    await withEmulator({}, async (emulator) => {
      const stores = await appliedDirStore(emulator, [manifestObject('gold')]);
      await stores.dir.write([manifestObject('gold', { ingestion: { request: 'r2' } })]);
      // Taken over as the service answers the run's first status read: the write of its end
      // finds the lock lost, and the apply stops.
      const first = await applyLosingLockAt(emulator, stores, 'getRun');
      const started = emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod').at(-1)!;
      expect(first.stdout).not.toMatch(/skipped +prod\/gold run/);
      expect(first.stdout).toMatch(
        new RegExp(
          `started +prod/gold run: run ${started.runId} started and recorded \\(\\w+\\); the apply was stopped before its end: the next run of this audience waits for it`,
        ),
      );
      const second = await apply(stores.dir.dir, stores.state, stores.env);
      expect(second.code, `${second.stdout}${second.stderr}`).toBe(0);
      expect(requestsTo(emulator, 'startRun'), 'the run on create, and r2 once').toBe(2);
      expect((await recordOf(stores.state, 'gold'))?.runs.map((run) => run.runId)).toContain(started.runId);
    });
  });
});
