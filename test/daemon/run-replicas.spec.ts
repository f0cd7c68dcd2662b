import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEMO_CLIENT,
  DEMO_SANDBOX,
  type EmulatorOptions,
  type RunningEmulator,
} from '../../src/emulator/index.js';
import { ManifestDir } from '../helpers/apply-env.js';
import { startBlackHoleProxy } from '../helpers/black-hole-proxy.js';
import { manifestObject } from '../helpers/manifests.js';
import { usePostgres } from '../state/pg.js';
import { controllerEnv, eventually, eventuallyLogged, type ControllerProcess } from './helpers/controller.js';
import { controllerSpec } from './helpers/controller-spec.js';

// Controller replicas sharing a PostgreSQL state: one leads, the others stand by and
// take over when it dies or loses its database connection, with nothing done twice.
const postgres = usePostgres();
const spec = controllerSpec('audiencectl-replicas-');

const MANIFESTS = Array.from({ length: 8 }, (_, i) =>
  manifestObject(`aud-${i}`, { ingestion: { onCreate: i % 2 === 0 } }),
);

async function setup(
  options: EmulatorOptions = {},
): Promise<{ em: RunningEmulator; dir: ManifestDir; state: string }> {
  const { em, root } = await spec.setUp(options);
  // Slow enough answers that a leader is always killed with work left to do.
  em.control.setLatency(60);
  const dir = new ManifestDir(path.join(root, 'manifests'));
  await mkdir(dir.dir);
  return { em, dir, state: await postgres.freshLocation() };
}

async function startReplicas(count: number, dir: string, state: string, em: RunningEmulator) {
  const env = { ...controllerEnv(em), AUDIENCECTL_DRY_RUN: 'false' };
  return Promise.all(
    Array.from({ length: count }, () =>
      spec.start(['--dir', dir, '--state', state, '--interval', '1s', '--resync-interval', '2s'], env, {
        startTimeoutMs: 60_000,
      }),
    ),
  );
}

async function roles(of: ControllerProcess[]): Promise<string[]> {
  return Promise.all(of.map(async (replica) => (await replica.status()).role));
}

/** The one replica that leads, once exactly one does. */
async function theLeader(of: ControllerProcess[]): Promise<ControllerProcess> {
  const found = await eventuallyLogged(
    of,
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

/**
 * A create a dead leader had begun, whose POST may still land, is held by the next one for 15
 * minutes of the service's clock after that POST (steps/create-hold.ts), never sent again at
 * once: the service's clock moves past that wait (and past every operation it took), and the
 * next leader then adopts what landed and sends, once, what did not.
 */
function pastHeldCreates(em: RunningEmulator): void {
  em.control.updateSettings({ clockOffsetMs: em.control.settings().clockOffsetMs + 20 * 60_000 });
}

async function settledOn(leader: ControllerProcess, em: RunningEmulator): Promise<void> {
  pastHeldCreates(em);
  await eventually(
    () => em.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX).length,
    (n) => n >= MANIFESTS.length,
    60_000,
    'every audience created',
  );
  await eventuallyLogged(
    [leader],
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
    await eventuallyLogged(
      [standby],
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
    pastHeldCreates(em);
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
    // It exits by itself, with 1 for its supervisor to restart it. Not signalled: a SIGTERM
    // landing as Node tears the ending process down killed it by the signal (exit code null).
    const exit = leader.child;
    const code = exit.exitCode ?? (await new Promise<number | null>((resolve) => exit.once('exit', resolve)));
    expect(code).toBe(1);

    await theLeader([standby]);
    await settledOn(standby, em);
    expectNoDuplicates(em);
  });

  it('a leader whose database goes silent with a write in flight exits 1 when it notices, not when that write gives up', async () => {
    // Only the other shape of sourceSpec is accepted: the leader learns it from its first create,
    // and keeps that reading in the store, a write in flight as well when the database goes silent.
    const { em, dir, state } = await setup({ compat: { sourceSpec: 'flat' } });
    const target = new URL(state);
    const proxy = await startBlackHoleProxy({ host: target.hostname, port: Number(target.port) });
    try {
      const silent = new URL(state);
      silent.port = String(proxy.port);
      // Each create's answer is held: gold's until the database is silent, so that writing it
      // is in flight when the leader notices; silver's (sandbox dev) until the leader stopped.
      const gold = { arrived: gate(), answer: gate() };
      const silver = { arrived: gate(), answer: gate() };
      const stopObserving = em.control.observeRequests((request) => {
        if (request.endpoint !== 'createAudience' || request.status !== 202) return undefined;
        const held = request.sandbox === 'dev' ? silver : gold;
        held.arrived.open();
        return held.answer.promise;
      });
      try {
        // Both manifests before the leader starts: its first pass creates both at once.
        await dir.write([manifestObject('gold'), manifestObject('silver', { metadata: { sandbox: 'dev' } })]);
        const env = { ...controllerEnv(em), AUDIENCECTL_DRY_RUN: 'false' };
        const args = ['--dir', dir.dir, '--interval', '1s', '--resync-interval', '2s'];
        // A query timeout and a grace period far beyond the test: only the lost lock can end
        // the leader while its database is silent (its lock connection's check gives up after 8 s).
        const leader = await spec.start(
          [...args, '--state', silent.href, '--shutdown-grace', '1h'],
          { ...env, AUDIENCECTL_STATE_QUERY_TIMEOUT: '1h' },
          { startTimeoutMs: 60_000 },
        );
        let leaderEnded = false;
        const leaderExit = new Promise<number | null>((resolve) =>
          leader.child.once('exit', (code) => {
            leaderEnded = true;
            resolve(code);
          }),
        );
        await leader.waitForLog((line) => line.msg === 'elected leader', 30_000);
        const [standby] = await startReplicas(1, dir.dir, state, em);
        await Promise.all([gold.arrived.promise, silver.arrived.promise]);
        proxy.blackHole();
        gold.answer.open();
        await leader.waitForLog((line) => line.msg === 'lost leadership', 30_000);
        silver.answer.open();
        // Listed from now on whatever the time: the new leader finds both by name.
        for (const sandbox of [DEMO_SANDBOX, 'dev'])
          for (const operation of em.control.listOperations(DEMO_CLIENT.orgId, sandbox))
            em.control.finishOperation(DEMO_CLIENT.orgId, sandbox, operation.operationId);
        // The server finds the silent leader's connections gone, as its keepalives would, and
        // frees the lock: the standby takes over and settles what the leader left.
        proxy.cutTarget();
        await theLeader([standby!]);
        await eventuallyLogged(
          [standby!],
          () => standby!.status(),
          (s) => s.reconcile.lastResult === 'success' && s.plan !== null && s.reconcile.running === false,
          60_000,
          'a successful pass on the new leader',
        );
        // Until now the database answered nothing to the old leader; from here on it hears
        // that its connections are closed.
        const endedWhileSilent = leaderEnded;
        await proxy.close();
        const code = await leaderExit;
        const said = leader.logs.map((line) => JSON.stringify(line)).join('\n');
        expect(
          endedWhileSilent,
          `the leader went on after it lost leadership, until its database answered again (a write in flight was waited for):\n${said}`,
        ).toBe(true);
        expect(code, said).toBe(1);
        expect(said).toContain(
          'cannot keep a learned reading of the API page (lost the connection holding the state lock',
        );
        for (const sandbox of [DEMO_SANDBOX, 'dev'])
          expect(em.control.listAudiences(DEMO_CLIENT.orgId, sandbox), sandbox).toHaveLength(1);
      } finally {
        gold.answer.open();
        silver.answer.open();
        stopObserving();
      }
    } finally {
      await proxy.close();
    }
  });
});

/** A promise and its resolve, for a test to say when something may go on. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
