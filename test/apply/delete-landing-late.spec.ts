import { spawn } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX } from '../../src/emulator/index.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { CLI, runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { lateLandingGateway, pathOf, type LateLandingGateway } from '../helpers/late-landing-gateway.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';

// An apply killed (kill -9) while its DELETE is on its way, with the manifest brought back
// before the next apply (a reverted removal): the next apply still lists the audience, so it
// settles the delete as not done and keeps the record; then the DELETE lands at the service.
// The record names an audience that is gone: a plan from it alone says "No changes." (or
// PATCHes a 404) until a --refresh notices. The settled intent is kept as a mark
// (AudienceRecord.unansweredDelete), from which every plan reads that audience before
// trusting the record, and finds it gone once the DELETE has landed.

const AUDIENCE_DELETE = /\/external-audience\/[^/]+$/;

/** The gateway keeps the first DELETE of an audience from the service (the apply is killed). */
const gateway = (target: URL) =>
  lateLandingGateway(target, (one) => one.method === 'DELETE' && AUDIENCE_DELETE.test(pathOf(one)));

const audiences = (emulator: TestEmulator) => emulator.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX);

const APPLY = ['apply', 'm', '--state', 'state', '--auto-approve'];
const RECORD = 'state/audiences/prod/gold.json';

/**
 * gold applied through `proxy`, then its manifest removed and the apply of that killed while
 * its DELETE is held by the gateway; the manifest back. Returns gold's audience id.
 */
async function killedMidDelete(
  root: string,
  env: Record<string, string>,
  emulator: TestEmulator,
  proxy: LateLandingGateway,
): Promise<string> {
  await mkdir(path.join(root, 'state'));
  await writeFiles(path.join(root, 'm'), { 'gold.yaml': manifestYaml('gold') });
  // gold's first apply is the story's premise: the CLI's entry in this process
  // (cli-in-process.ts); the apply killed mid-DELETE and every command after it spawn.
  expect((await runCliInProcess(APPLY, { cwd: root, env })).code).toBe(0);
  const [gold] = audiences(emulator);
  expect(gold).toBeDefined();
  await rm(path.join(root, 'm/gold.yaml'));
  await writeFiles(path.join(root, 'm'), { 'other.yaml': manifestYaml('other') });
  proxy.arm();
  const child = spawn(process.execPath, [CLI, ...APPLY], {
    cwd: root,
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([
    proxy.reached(),
    exited.then(() => Promise.reject(new Error(`the apply ended before its DELETE:\n${out}`))),
  ]);
  child.kill('SIGKILL');
  await exited;
  // The kill landed mid-step: the record holds the delete intent, written before the request.
  const killed = JSON.parse(await readFile(path.join(root, RECORD), 'utf8')) as { intent?: { kind: string } };
  expect(killed.intent?.kind).toBe('delete');
  expect(audiences(emulator).map((one) => one.audienceId)).toContain(gold!.audienceId);
  // The removal reverted: gold's manifest is back.
  await writeFiles(path.join(root, 'm'), { 'gold.yaml': manifestYaml('gold') });
  return gold!.audienceId;
}

/** gold is created again, once: one audience of its name, the record naming it, a plan after with no changes. */
async function expectRecreated(
  root: string,
  env: Record<string, string>,
  emulator: TestEmulator,
  said: string,
) {
  const golds = audiences(emulator).filter((one) => one.audienceName === 'Audience gold');
  expect(golds, said).toHaveLength(1);
  const record = JSON.parse(await readFile(path.join(root, RECORD), 'utf8')) as {
    audienceId?: string;
    unansweredDelete?: unknown;
  };
  expect(record.audienceId, said).toBe(golds[0]!.audienceId);
  // The mark went with the audience its DELETE was sent to: plans trust the record again.
  expect(record.unansweredDelete, said).toBeUndefined();
  const plan = await runCli(['plan', 'm', '--state', 'state'], { cwd: root, env });
  expect(plan.stdout, `${said}\n--- plan after:\n${plan.stdout}${plan.stderr}`).toContain('No changes.');
}

type Killed = {
  root: string;
  env: Record<string, string>;
  emulator: TestEmulator;
  proxy: LateLandingGateway;
  id: string;
};

/** Runs `fn` after killedMidDelete, on an emulator of its own behind the gateway, in a directory of its own. */
function afterKilledMidDelete(fn: (killed: Killed) => Promise<void>): Promise<void> {
  return withEmulator({ operationDelayMs: 10 }, async (emulator) =>
    withTempDir(async (root) => {
      const proxy = await gateway(new URL(emulator.apiBaseUrl));
      try {
        const env = { ...emulatorEnv(emulator, { AEP_BASE_URL: proxy.url }), AEP_SANDBOX: DEMO_SANDBOX };
        const id = await killedMidDelete(root, env, emulator, proxy);
        await fn({ root, env, emulator, proxy, id });
      } finally {
        await proxy.close();
      }
    }),
  );
}

describe('an apply killed (kill -9) while its DELETE is on its way, its manifest then brought back', () => {
  it(
    'the DELETE landing after the next apply settled it as not done: the plan after reads the audience and creates it again',
    { timeout: 120_000 },
    async () => {
      await afterKilledMidDelete(async ({ root, env, emulator, proxy, id }) => {
        const next = await runCli(APPLY, { cwd: root, env });
        let said = `--- next apply:\n${next.stdout}${next.stderr}`;
        expect(next.code, said).toBe(0);
        expect(`${next.stdout}${next.stderr}`, said).toContain('did not happen');
        // The DELETE the killed apply sent lands now.
        expect(await proxy.deliver()).toBe(204);
        expect(audiences(emulator).map((one) => one.audienceId)).not.toContain(id);
        const plan = await runCli(['plan', 'm', '--state', 'state'], { cwd: root, env });
        said += `\n--- plan:\n${plan.stdout}${plan.stderr}`;
        expect(plan.stdout, said).not.toContain('No changes.');
        expect(plan.stdout, said).toMatch(/\+ prod\/gold create: audience [\w-]+ is gone/);
        const last = await runCli(APPLY, { cwd: root, env });
        said += `\n--- last apply:\n${last.stdout}${last.stderr}`;
        expect(last.code, said).toBe(0);
        await expectRecreated(root, env, emulator, said);
      });
    },
  );

  it(
    'the DELETE landing right after the next apply read the audience to settle it: that apply creates it again',
    { timeout: 120_000 },
    async () => {
      await afterKilledMidDelete(async ({ root, env, emulator, proxy, id }) => {
        // The first read of gold's audience in the next apply is the one settling the intent.
        proxy.deliverAfter((one) => one.method === 'GET' && one.url.includes(id));
        const next = await runCli(APPLY, { cwd: root, env });
        const said = `--- next apply:\n${next.stdout}${next.stderr}`;
        expect(await proxy.delivered()).toBe(204);
        expect(next.code, said).toBe(0);
        expect(`${next.stdout}${next.stderr}`, said).toContain('did not happen');
        await expectRecreated(root, env, emulator, said);
      });
    },
  );
});
