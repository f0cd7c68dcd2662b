import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX, startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { ManifestDir } from '../helpers/apply-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { usePostgres } from '../state/pg.js';
import {
  assertBuilt,
  cleanUp,
  controllerEnv,
  eventually,
  killLeftovers,
  startController,
  type ControllerProcess,
} from './helpers/controller.js';

// Controller replicas sharing a PostgreSQL state: one leads, the others stand by and
// take over when it dies or loses its database connection, with nothing done twice.
const postgres = usePostgres();
let emulator: RunningEmulator | undefined;
let root: string | undefined;
const replicas: ControllerProcess[] = [];

beforeAll(assertBuilt);
afterEach(async () => {
  await Promise.all(replicas.splice(0).map((replica) => replica.stop('SIGKILL')));
  killLeftovers();
  await cleanUp({ emulator, dir: root });
  emulator = root = undefined;
});

const MANIFESTS = Array.from({ length: 8 }, (_, i) =>
  manifestObject(`aud-${i}`, { ingestion: { onCreate: i % 2 === 0 } }),
);

async function setup(): Promise<{ em: RunningEmulator; dir: ManifestDir; state: string }> {
  emulator = await startEmulator({ port: 0 });
  // Slow enough answers that a leader is always killed with work left to do.
  emulator.control.setLatency(60);
  root = await mkdtemp(path.join(tmpdir(), 'audiencectl-replicas-'));
  const dir = new ManifestDir(path.join(root, 'manifests'));
  await mkdir(dir.dir);
  return { em: emulator, dir, state: await postgres.freshLocation() };
}

async function startReplicas(count: number, dir: string, state: string, em: RunningEmulator) {
  const env = { ...controllerEnv(em), AUDIENCECTL_DRY_RUN: 'false' };
  const started = await Promise.all(
    Array.from({ length: count }, () =>
      startController(
        ['--dir', dir, '--state', state, '--interval', '1s', '--resync-interval', '2s'],
        env,
        60_000,
      ),
    ),
  );
  replicas.push(...started);
  return started;
}

async function roles(of: ControllerProcess[]): Promise<string[]> {
  return Promise.all(of.map(async (replica) => (await replica.status()).role));
}

/** The one replica that leads, once exactly one does. */
async function theLeader(of: ControllerProcess[]): Promise<ControllerProcess> {
  const found = await eventually(
    () => roles(of),
    (r) => r.filter((role) => role === 'leader').length === 1,
    30_000,
    'exactly one leader',
  );
  return of[found.indexOf('leader')]!;
}

function createRequests(em: RunningEmulator): number {
  return em.control.counters().byEndpoint.createAudience.requests;
}

/** Nothing done twice: one audience per manifest, at most one run each. */
function expectNoDuplicates(em: RunningEmulator): void {
  const audiences = em.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX);
  const names = audiences.map((a) => a.audienceName).sort();
  expect(names).toEqual(MANIFESTS.map((m) => m.spec.name).sort());
  for (const audience of audiences) {
    const runs = em.control.listRuns(DEMO_CLIENT.orgId, DEMO_SANDBOX, audience.audienceId);
    expect(runs.length, `${audience.audienceName}: runs`).toBeLessThanOrEqual(1);
  }
}

async function settledOn(leader: ControllerProcess, em: RunningEmulator): Promise<void> {
  await eventually(
    () => em.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX).length,
    (n) => n >= MANIFESTS.length,
    60_000,
    'every audience created',
  );
  await eventually(
    () => leader.status(),
    (s) => s.reconcile.lastResult === 'success' && s.plan !== null && s.reconcile.running === false,
    60_000,
    'a successful pass on the new leader',
  );
}

describe('audiencectl run replicas on one PostgreSQL state', { timeout: 180_000 }, () => {
  it('two replicas: the standby syncs but writes nothing, then takes over from a SIGKILLed leader', async () => {
    const { em, dir, state } = await setup();
    const pair = await startReplicas(2, dir.dir, state, em);
    const leader = await theLeader(pair);
    const standby = pair.find((replica) => replica !== leader)!;
    expect(await roles([standby])).toEqual(['standby']);

    await dir.write(MANIFESTS);
    // The standby sees the new revision too (its checkout stays fresh) but reconciles nothing.
    await eventually(
      () => standby.status(),
      (s) => s.source.revision !== null,
      30_000,
      'the standby synced',
    );
    await eventually(
      () => createRequests(em),
      (n) => n >= 3,
      60_000,
      'the leader creating',
    );
    // While the leader lives: the standby has reconciled nothing. (Checked before the kill:
    // the lock is free the moment the leader dies, and the standby may win it at once.)
    expect(await roles([standby])).toEqual(['standby']);
    const statusText = JSON.stringify(await standby.status());
    expect(statusText).not.toContain(new URL(state).password);
    expect((await standby.status()).reconcile.lastStartedAt).toBeNull();
    await leader.stop('SIGKILL');

    await theLeader([standby]);
    await standby.waitForLog((line) => line.msg === 'elected leader', 30_000);
    await settledOn(standby, em);
    expectNoDuplicates(em);
    const metrics = await (await fetch(`${standby.url}/metrics`)).text();
    expect(metrics).toMatch(/^audiencectl_leader 1$/m);
    expect(metrics).toMatch(/^audiencectl_role_info\{role="leader"\} 1$/m);
  });

  it('three replicas: each SIGKILLed leader is followed by exactly one other', async () => {
    const { em, dir, state } = await setup();
    const trio = await startReplicas(3, dir.dir, state, em);
    const first = await theLeader(trio);
    const metrics = await (await fetch(`${trio.find((r) => r !== first)!.url}/metrics`)).text();
    expect(metrics).toMatch(/^audiencectl_role_info\{role="standby"\} 1$/m);
    await dir.write(MANIFESTS);
    await eventually(
      () => createRequests(em),
      (n) => n >= 2,
      60_000,
      'the first leader creating',
    );
    await first.stop('SIGKILL');

    const rest = trio.filter((replica) => replica !== first);
    const second = await theLeader(rest);
    await eventually(
      () => createRequests(em),
      (n) => n >= 5,
      60_000,
      'the second leader creating',
    );
    await second.stop('SIGKILL');

    const last = rest.find((replica) => replica !== second)!;
    await theLeader([last]);
    await settledOn(last, em);
    expectNoDuplicates(em);
  });

  it('a leader whose database connection is cut stops and exits; the standby takes over', async () => {
    const { em, dir, state } = await setup();
    const pair = await startReplicas(2, dir.dir, state, em);
    const leader = await theLeader(pair);
    const standby = pair.find((replica) => replica !== leader)!;
    await dir.write(MANIFESTS);
    await eventually(
      () => createRequests(em),
      (n) => n >= 3,
      60_000,
      'the leader creating',
    );

    const schema = new URL(state).searchParams.get('schema')!;
    await postgres.query(`SELECT pg_terminate_backend(backend_pid) FROM "${schema}".lock_state`);
    await leader.waitForLog((line) => line.msg === 'lost leadership', 30_000);
    expect((await leader.stop('SIGTERM')).code).toBe(1);

    await theLeader([standby]);
    await settledOn(standby, em);
    expectNoDuplicates(em);
  });
});
