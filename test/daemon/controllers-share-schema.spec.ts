import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX, type RunningEmulator } from '../../src/emulator/index.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { usePostgres } from '../state/pg.js';
import { controllerEnv, eventually, eventuallyLogged } from './helpers/controller.js';
import { controllerSpec } from './helpers/controller-spec.js';

/**
 * Review 33, L-5. Two controllers of different sources (two teams' directories, or two Helm
 * releases left on the chart's default schema `audiencectl`) on one PostgreSQL schema take part
 * in one leader election, and a leader holds the schema's lock for as long as it runs: the second
 * could never apply its manifests, and used to say nothing (role standby, leadership.lastError
 * null), exactly what a healthy replica shows. Now it says, on /status and in its log, that the
 * lock is held by a controller of another source, naming that source; it stays ready, as a pod of
 * a rollout that changes the source must be for the rollout to go on; and neither controller
 * deletes the audiences of the other's directory.
 */
const postgres = usePostgres();
const spec = controllerSpec('audiencectl-share-schema-');

const quiet = { ingestion: { onCreate: false } };

/** This test's emulator, and team a's and team b's directories, alpha in a's and beta in b's. */
async function teams(): Promise<{ em: RunningEmulator; teamA: string; teamB: string }> {
  const { em, root } = await spec.setUp();
  const teamA = path.join(root, 'teams', 'a');
  const teamB = path.join(root, 'teams', 'b');
  await mkdir(teamA, { recursive: true });
  await mkdir(teamB, { recursive: true });
  await writeFile(path.join(teamA, 'alpha.yaml'), manifestYaml('alpha', quiet));
  await writeFile(path.join(teamB, 'beta.yaml'), manifestYaml('beta', quiet));
  return { em, teamA, teamB };
}

function names(em: RunningEmulator): string[] {
  return em.control
    .listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX)
    .map((a) => a.audienceName)
    .sort();
}

describe('two controllers of different directories on one PostgreSQL schema', () => {
  it('does not leave the second one a silent standby for ever', async () => {
    const { em, teamA, teamB } = await teams();
    const state = await postgres.freshLocation();
    const env = { ...controllerEnv(em), AUDIENCECTL_DRY_RUN: 'false' };

    await spec.start(['--dir', teamA, '--state', state, '--interval', '1s'], env, {
      startTimeoutMs: 60_000,
    });
    await eventually(
      () => names(em),
      (n) => n.includes('Audience alpha'),
      30_000,
      "team a's create",
    );
    const b = await spec.start(['--dir', teamB, '--state', state, '--interval', '1s'], env, {
      startTimeoutMs: 60_000,
    });
    // Fixed either way: team b's audience is applied, or b says why it does not apply it (on
    // /status). Before the fix neither ever happened: this timed out.
    const seen = await eventuallyLogged(
      [b],
      async () => {
        const status = await b.status();
        return {
          role: status.role,
          created: names(em).includes('Audience beta'),
          said: (status.leadership?.lastError ?? null) !== null,
        };
      },
      (v) => v.created || v.said,
      30_000,
      "team b's audience, or b saying why it stands by",
    );
    expect(seen.created || seen.said).toBe(true);

    // How it says it: the code, and team a's source, on /status and in the log; ready all the same
    // (a rollout that changes the source must not wait for ever on its new pods).
    const lastError = (await b.status()).leadership?.lastError;
    expect(lastError?.code).toBe('LEADER_OTHER_SOURCE');
    expect(lastError?.message).toContain(
      `held by the leader of another controller (directory ${teamA}, sandbox prod;`,
    );
    expect(lastError?.message).toContain(`not a replica of this one (directory ${teamB}, sandbox prod)`);
    expect((await fetch(`${b.url}/readyz`)).status).toBe(200);
    const warned = b.logs.filter((line) => line.msg === 'not leading');
    expect(warned.map((line) => [line.level, line.code])).toEqual([[40, 'LEADER_OTHER_SOURCE']]);
    expect(names(em)).toEqual(['Audience alpha']);
  });

  it("neither deletes the audiences of the other's directory, as standby or after taking over", async () => {
    const { em, teamA, teamB } = await teams();
    const state = await postgres.freshLocation();
    // Team b's audience applied by the CLI, as a store shared by several directories allows: a
    // premise, the CLI's entry in this process (cli-in-process.ts); the controllers are spawned.
    const applied = await runCliInProcess(['apply', teamB, '--state', state, '--auto-approve'], {
      env: emulatorEnv(em),
    });
    expect(applied.code).toBe(0);
    const env = { ...controllerEnv(em), AUDIENCECTL_DRY_RUN: 'false' };
    const every = ['--interval', '1s', '--resync-interval', '1s'];

    const a = await spec.start(['--dir', teamA, '--state', state, ...every], env, { startTimeoutMs: 60_000 });
    await eventually(
      () => names(em),
      (n) => n.includes('Audience alpha'),
      30_000,
      "team a's create",
    );
    const b = await spec.start(['--dir', teamB, '--state', state, ...every], env, { startTimeoutMs: 60_000 });
    await eventuallyLogged(
      [b],
      async () => (await b.status()).leadership?.lastError?.code,
      (code) => code === 'LEADER_OTHER_SOURCE',
      30_000,
      'b saying why it stands by',
    );
    // A pass of team a's leader started after b stood by leaves team b's audience alone.
    const sinceB = new Date().toISOString();
    await eventuallyLogged(
      [a],
      async () => (await a.status()).reconcile,
      (r) => r.lastFinishedAt !== null && r.lastFinishedAt > sinceB && r.lastStartedAt! > sinceB,
      30_000,
      "a pass of team a's leader",
    );
    expect(names(em)).toEqual(['Audience alpha', 'Audience beta']);

    // Team a's controller gone, team b's leads: it applies its new manifest, and deletes no alpha.
    await writeFile(path.join(teamB, 'gamma.yaml'), manifestYaml('gamma', quiet));
    await a.stop('SIGKILL');
    await eventually(
      () => names(em),
      (n) => n.includes('Audience gamma'),
      30_000,
      "team b's create",
    );
    const sinceGamma = new Date().toISOString();
    const led = await eventuallyLogged(
      [b],
      async () => ({ status: await b.status(), ready: (await fetch(`${b.url}/readyz`)).status }),
      ({ status }) =>
        status.reconcile.lastResult === 'success' &&
        status.reconcile.lastStartedAt !== null &&
        status.reconcile.lastStartedAt > sinceGamma &&
        (status.reconcile.lastFinishedAt ?? '') > status.reconcile.lastStartedAt,
      30_000,
      "a pass of b's as leader after its create",
    );
    expect(led.status.role).toBe('leader');
    expect(led.status.leadership?.lastError).toBe(null);
    expect(led.ready).toBe(200);
    expect(names(em)).toEqual(['Audience alpha', 'Audience beta', 'Audience gamma']);
  });
});
