import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX } from '../../src/emulator/index.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { CLI, runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { lateLandingGateway, pathOf } from '../helpers/late-landing-gateway.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';

// A run request the service is still working on when the apply reads the runs list: a gateway
// answers it 504 (its own timeout) while the service behind goes on and starts the run a moment
// later; or the apply that sent it is killed (kill -9) and the next one (a CI rerun, a standby
// taking over) reads the runs list before the request lands. The check finds no run yet and
// clears the intent; the run the request then starts is its own (AudienceRecord.unansweredRun):
// the next run step adopts it for the request, never blocks on it as a stranger's run (a
// restored backup, another state store, a person) nor starts a second one (review crash-42, M-1).

const RUN_POST = /\/external-audience\/[^/]+\/runs$/;

/** The gateway keeps the first run POST from the service: answered 504 (`answer504`) or never. */
const gateway = (target: URL, answer504: boolean) =>
  lateLandingGateway(target, (one) => one.method === 'POST' && RUN_POST.test(pathOf(one)), answer504);

function runsOf(emulator: TestEmulator): string[] {
  const [gold] = emulator.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX);
  return emulator.control.listRuns(DEMO_CLIENT.orgId, DEMO_SANDBOX, gold!.audienceId).map((run) => run.runId);
}

const APPLY = ['apply', 'm', '--state', 'state', '--auto-approve'];
const requested = (onCreate: boolean) =>
  manifestYaml('gold', { ingestion: { onCreate, request: 'backfill-1' } });

/**
 * gold applied through `proxy` (its first run as `onCreate` says); its runs on the service. A
 * premise, not the subject: the CLI's entry in this process (cli-in-process.ts, the same code and
 * exit code), not a built CLI spawned (~0.8 s of CPU each); the applies each case is about spawn it.
 */
async function applied(root: string, env: Record<string, string>, onCreate: boolean, emulator: TestEmulator) {
  await mkdir(path.join(root, 'state'));
  await writeFiles(path.join(root, 'm'), { 'gold.yaml': manifestYaml('gold', { ingestion: { onCreate } }) });
  const first = await runCliInProcess(APPLY, { cwd: root, env });
  expect(first.code, first.stdout + first.stderr).toBe(0);
  const before = runsOf(emulator);
  expect(before).toHaveLength(onCreate ? 1 : 0);
  // One run asked for.
  await writeFiles(path.join(root, 'm'), { 'gold.yaml': requested(onCreate) });
  return before;
}

/**
 * The next apply adopts the run the request started for backfill-1 (the one run the service
 * shows beside `before`): no other run started, nothing blocked; a plan then shows no changes.
 */
async function expectAdopted(
  root: string,
  env: Record<string, string>,
  before: string[],
  emulator: TestEmulator,
  earlier: string,
) {
  const next = await runCli(APPLY, { cwd: root, env });
  const said = `${earlier}\n--- next apply:\n${next.stdout}${next.stderr}`;
  const runs = runsOf(emulator);
  expect(runs.slice(0, before.length), said).toEqual(before);
  expect(runs, `runs started for one ingestion.request\n${said}`).toHaveLength(before.length + 1);
  const late = runs[before.length]!;
  expect(`${next.stdout}${next.stderr}`, said).not.toMatch(/blocked {2}|restored from a backup/);
  expect(next.code, said).toBe(0);
  expect(`${next.stdout}${next.stderr}`, said).toContain(late);
  const record = JSON.parse(await readFile(path.join(root, 'state/audiences/prod/gold.json'), 'utf8')) as {
    runs: Array<{ runId: string; reason?: string }>;
  };
  expect(record.runs.find((run) => run.runId === late)?.reason, said).toBe('request:backfill-1');
  const plan = await runCli(['plan', 'm', '--state', 'state'], { cwd: root, env });
  expect(plan.stdout, said).toContain('No changes.');
}

const CASES = [
  ['an audience with no run yet', false],
  ['an audience whose first run is recorded', true],
] as const;

describe('a run request answered 504 by a gateway while the service goes on to start its run', () => {
  it.each(CASES)(
    '%s: the next apply adopts that run as its own request’s',
    { timeout: 120_000 },
    async (_, onCreate) => {
      await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) =>
        withTempDir(async (root) => {
          const proxy = await gateway(new URL(emulator.apiBaseUrl), true);
          try {
            const env = { ...emulatorEnv(emulator, { AEP_BASE_URL: proxy.url }), AEP_SANDBOX: DEMO_SANDBOX };
            const before = await applied(root, env, onCreate, emulator);
            proxy.arm();
            const first = await runCli(APPLY, { cwd: root, env });
            await proxy.reached();
            expect(first.code).toBe(1);
            expect(runsOf(emulator)).toEqual(before);
            // The service behind the gateway finishes the request: its run starts.
            expect(await proxy.deliver()).toBe(200);
            expect(runsOf(emulator)).toHaveLength(before.length + 1);
            await expectAdopted(
              root,
              env,
              before,
              emulator,
              `--- first apply:\n${first.stdout}${first.stderr}`,
            );
          } finally {
            await proxy.close();
          }
        }),
      );
    },
  );
});

describe('an apply killed (kill -9) while its run request is on its way, which lands as the next apply starts', () => {
  it.each(CASES)(
    '%s: the next apply adopts that run as the interrupted request’s',
    { timeout: 120_000 },
    async (_, onCreate) => {
      await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) =>
        withTempDir(async (root) => {
          const proxy = await gateway(new URL(emulator.apiBaseUrl), false);
          try {
            const env = { ...emulatorEnv(emulator, { AEP_BASE_URL: proxy.url }), AEP_SANDBOX: DEMO_SANDBOX };
            const before = await applied(root, env, onCreate, emulator);
            proxy.arm();
            const child = spawn(process.execPath, [CLI, ...APPLY], {
              cwd: root,
              env: { ...process.env, ...env, NO_COLOR: '1' },
              stdio: 'ignore',
            });
            const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
            await Promise.race([
              proxy.reached(),
              exited.then(() => Promise.reject(new Error('the apply ended before its run request'))),
            ]);
            child.kill('SIGKILL');
            await exited;
            // The kill landed mid-step: the record holds the run intent, written before the request.
            const killed = JSON.parse(
              await readFile(path.join(root, 'state/audiences/prod/gold.json'), 'utf8'),
            ) as {
              intent?: { kind: string };
            };
            expect(killed.intent?.kind).toBe('run');
            expect(runsOf(emulator)).toEqual(before);
            // The request lands once the next apply has read the runs list to settle the intent.
            // Right after the next runs list is answered.
            proxy.deliverAfter((one) => one.method === 'GET' && RUN_POST.test(pathOf(one)));
            await expectAdopted(root, env, before, emulator, '');
            // The request did land during that apply: the service started its run.
            expect(await proxy.delivered()).toBe(200);
          } finally {
            await proxy.close();
          }
        }),
      );
    },
  );
});
