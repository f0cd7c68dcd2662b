import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js';
import type { ManifestInput } from '../../src/manifest/schema.js';
import { openStateStore } from '../../src/state/open.js';
import { lockPath } from '../../src/state/paths.js';
import { apply, emulatorEnv, ManifestDir } from '../helpers/apply-env.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
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
  target = dir.dir,
) {
  const stop = takeOverLockAt(emulator, state, endpoint);
  try {
    const result = await apply(target, state, env);
    expect(result.code, result.stdout).toBe(1);
    // One line, last; no stack trace.
    expect(result.stderr).toMatch(
      /^Error: lost the state lock .+; run again once the other one is done\.\n$/m,
    );
    expect(result.stderr).not.toMatch(/^\s+at /m);
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
  it('a PATCH sent is a failed update said sent, never "skipped"; the next apply reads the audience back and records the PATCH it made, not sent again', async () => {
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
      // Its intent kept, the next apply reads the audience back (resume.ts): it holds what the
      // PATCH sent, which is recorded, and no PATCH is needed.
      expect(second.stdout).toContain(
        `resumed: prod/gold: interrupted PATCH of ${audience!.audienceId} settled by reading the audience back: the service shows description "Gold, revised", recorded`,
      );
      expect(requestsTo(emulator, 'patchAudience')).toBe(1);
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

  // The summary and the way on an interrupted apply prints, with the lost lock as the reason,
  // then the one-line error naming it (review 22, L3): it once ended on the error alone.
  it('the apply prints its summary and the "Stopped before the end" note: the deletions after were not started', async () => {
    await withEmulator({}, async (emulator) => {
      const stores = await appliedDirStore(emulator, [manifestObject('gold'), manifestObject('silver')]);
      // gold's PATCH, then (deletions last) silver's DELETE, which the lost lock keeps from starting.
      await stores.dir.write([manifestObject('gold', { spec: { description: 'Gold, revised' } })]);
      const first = await applyLosingLockAt(emulator, stores, 'patchAudience');
      expect(first.stdout).toMatch(/FAILED +prod\/gold update: PATCH sent .+ but not recorded/);
      expect(first.stdout).toMatch(/skipped +prod\/silver delete: the apply was stopped before this step/);
      expect(first.stdout).toContain(
        '\nApply: 0 applied, 0 run(s) still running, 1 failed, 0 blocked, 0 deferred, 1 skipped.\n' +
          'Stopped before the end (the state lock was lost): 1 step(s) not started; the next apply picks up where this one stopped.\n',
      );
      expect(requestsTo(emulator, 'deleteAudience')).toBe(0);
      // As said: the next apply picks up (the PATCH again, then the DELETE).
      const second = await apply(stores.dir.dir, stores.state, stores.env);
      expect(second.code, `${second.stdout}${second.stderr}`).toBe(0);
      expect(requestsTo(emulator, 'deleteAudience')).toBe(1);
    });
  });

  it('`apply plan.json` prints its summary and the note naming the plan to make again, and that way works', async () => {
    await withEmulator({}, async (emulator) => {
      const stores = await appliedDirStore(emulator, [manifestObject('gold')]);
      await stores.dir.write([manifestObject('gold', { spec: { description: 'Gold, revised' } })]);
      const saved = path.join(await tempDir(), 'p.json');
      const planned = await runCliInProcess(
        ['plan', stores.dir.dir, '--state', stores.state, '--output', 'json', '--out', saved],
        { env: stores.env },
      );
      expect(planned.code, planned.stderr).toBe(0);
      const first = await applyLosingLockAt(emulator, stores, 'patchAudience', saved);
      const planAgain = `audiencectl plan ${stores.dir.dir} --output json --out ${saved} --state ${stores.state}`;
      const applyAgain = `audiencectl apply ${saved} --state ${stores.state}`;
      expect(first.stdout).toContain(
        '\nApply: 0 applied, 0 run(s) still running, 1 failed, 0 blocked, 0 deferred, 0 skipped.\n' +
          `Stopped before the end (the state lock was lost): 0 step(s) not started; ${saved} cannot be applied again (the state moved on): ` +
          `plan again with the options it was made with (\`${planAgain}\`) and apply that plan (\`${applyAgain}\`), which picks up where this one stopped.\n`,
      );
      const run = (command: string) => runCliInProcess(command.split(' ').slice(1), { env: stores.env });
      expect((await run(planAgain)).code).toBe(0);
      // `plan` settles nothing: the plan made again still PATCHes from the spec recorded before
      // the PATCH. Its apply settles the PATCH by reading the audience back, which shows what it
      // sent, so its update step is no longer the plan's: refused, as any saved plan that settling
      // changed, and the plan made after it has nothing to do.
      const refused = await run(`${applyAgain} --auto-approve`);
      expect(refused.stderr).toContain(
        'the plan no longer matches the state: settling what an interrupted apply left changed it',
      );
      expect((await run(planAgain)).code).toBe(0);
      const applied = await run(`${applyAgain} --auto-approve`);
      expect(applied.code, `${applied.stdout}${applied.stderr}`).toBe(0);
      expect(requestsTo(emulator, 'patchAudience')).toBe(1);
      expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.description)).toEqual([
        'Gold, revised',
      ]);
    });
  });
});
