import { execFile } from 'node:child_process';
import { access, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX, type RunningEmulator } from '../../src/emulator/index.js';
import { lockPath, recordPath } from '../../src/state/paths.js';
import { GIT_ENV, runCli } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { audienceBody } from '../helpers/with-emulator.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv, eventually, eventuallyLogged, sleep } from './helpers/controller.js';
import { controllerSpec } from './helpers/controller-spec.js';

const noRun = { ingestion: { onCreate: false } };
const run = promisify(execFile);

const spec = controllerSpec('audiencectl-run-');

async function setup(): Promise<{ em: RunningEmulator; root: string; dir: string; state: string }> {
  const { em, root } = await spec.setUp();
  const dir = path.join(root, 'manifests');
  await mkdir(dir);
  return { em, root, dir, state: path.join(root, 'state') };
}

describe('audiencectl run --dir', () => {
  it('applies file changes through the watcher alone (the interval is an hour)', async () => {
    const { em, dir, state } = await setup();
    // An hour-long interval: only the watcher can notice the edits. DRY_RUN=false is false.
    const env = { ...controllerEnv(em), AUDIENCECTL_DRY_RUN: 'false' };
    const ctl = await spec.start(['--dir', dir, '--state', state, '--interval', '1h'], env);
    await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.reconcile.lastResult === 'success',
      20_000,
    );
    expect((await ctl.status()).mode).toBe('apply');

    const audiences = () => em.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX);
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', noRun));
    await eventually(
      () => audiences().length,
      (n) => n === 1,
      20_000,
      'the create',
    );

    const changed = manifestYaml('gold', { ...noRun, spec: { description: 'Edited' } });
    await writeFile(path.join(dir, 'gold.yaml'), changed);
    await eventually(
      () => audiences()[0]?.description,
      (d) => d === 'Edited',
      20_000,
      'the PATCH',
    );
    expect((await ctl.stop()).code).toBe(0);
    // What the client learned about the API's readings is kept for the next start.
    expect(JSON.parse(await readFile(path.join(state, 'compat.json'), 'utf8'))).toEqual({
      schemaVersion: 1,
      baseUrls: { [em.apiBaseUrl]: { operationsPath: 'plural', sourceSpec: { prod: 'params' } } },
    });
  });

  it('a folder that cannot be listed is a held manifest, as in plan: the rest is applied, no sync fails', async () => {
    const { em, root, dir, state } = await setup();
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', noRun));
    await mkdir(path.join(dir, 'partners'));
    await writeFile(path.join(dir, 'partners', 'silver.yaml'), manifestYaml('silver', noRun));
    await mkdir(state);
    // Root lists any folder: the controller runs as nobody then (CI runs as root).
    const as = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    await chmod(root, 0o755);
    if ('uid' in as) await run('chown', ['-R', '65534:65534', root]);
    await chmod(path.join(dir, 'partners'), 0o000);
    try {
      const env = { ...controllerEnv(em), AUDIENCECTL_DRY_RUN: 'false' };
      const args = ['--dir', dir, '--state', state, '--interval', '1h'];
      const controller = await spec.start(args, env, { as });
      const held = await controller.waitForLog(
        (line) => line.msg === 'manifests with errors: their audiences are held',
        20_000,
      );
      expect(held['files']).toEqual(['partners']);
      await eventually(
        () => em.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX).length,
        (n) => n === 1,
        20_000,
        'the create of gold',
      );
      expect(controller.logs.filter((line) => line.msg === 'sync failed')).toEqual([]);
    } finally {
      // Else the temp dir cannot be removed (but by root).
      await chmod(path.join(dir, 'partners'), 0o755);
    }
  });

  it('does not take its own state writes for edits when the state is inside the watched directory', async () => {
    const { em, dir } = await setup();
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', noRun));
    const ctl = await spec.start(
      ['--dir', dir, '--state', path.join(dir, '.audiencectl-state'), '--interval', '1h'],
      controllerEnv(em),
    );
    await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.audiences[0]?.state === 'in-sync',
      20_000,
    );
    await sleep(1_200); // longer than the debounce: a loop would show here
    const passes = ctl.logs.filter((line) => line.msg === 'reconcile started');
    expect(passes).toHaveLength(1);
    expect((await ctl.stop()).code).toBe(0);
  });

  it('AUDIENCECTL_ADOPT=true adopts the existing audience of the name, as --adopt does (a Helm chart sets only variables)', async () => {
    const { em, dir, state } = await setup();
    const made = em.control.uiCreateAudience(
      DEMO_CLIENT.orgId,
      DEMO_SANDBOX,
      audienceBody({ name: 'Audience gold' }),
      'colleague@AdobeID',
    );
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', noRun));
    const env = { ...controllerEnv(em), AUDIENCECTL_ADOPT: 'true' };
    const ctl = await spec.start(['--dir', dir, '--state', state, '--interval', '1h'], env);
    const status = await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.reconcile.lastFinishedAt !== null && s.audiences.length > 0,
      20_000,
      'the first pass',
    );
    expect(status.audiences).toEqual([
      expect.objectContaining({ key: 'gold', state: 'in-sync', audienceId: made.id }),
    ]);
    expect(em.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX)).toHaveLength(1);
    expect((await ctl.stop()).code).toBe(0);
  });

  it('with --dry-run publishes the plan and makes no API call and no write', async () => {
    const { em, dir, state } = await setup();
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', noRun));
    await writeFile(path.join(dir, 'broken.yaml'), 'apiVersion: audiencectl/v1\nkind: [\n');
    const ctl = await spec.start(['--dir', dir, '--state', state, '--dry-run'], controllerEnv(em));
    const status = await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.plan !== null,
      20_000,
      'a plan',
    );
    expect(status.mode).toBe('dry-run');
    expect(status.plan?.summary).toMatchObject({ create: 1 });
    expect(status.audiences).toEqual([{ sandbox: 'prod', key: 'gold', state: 'pending' }]);
    expect(status.diagnostics.some((d) => d.file === 'broken.yaml')).toBe(true);
    const markdown = await fetch(`${ctl.url}/plan`).then((r) => r.text());
    expect(markdown).toContain('gold');
    expect(em.control.counters().requests).toBe(0);
    await expect(access(lockPath(state))).rejects.toThrow(/ENOENT/);
    expect((await ctl.stop()).code).toBe(0);
  });

  it("records the repository of the directory's work tree, and leaves another repository's audiences in the store alone", async () => {
    const { em, root, dir, state } = await setup();
    const env = { ...controllerEnv(em), AUDIENCECTL_DRY_RUN: 'false' };
    const git = (cwd: string, ...args: string[]) =>
      run('git', args, { cwd, env: { ...process.env, ...GIT_ENV } });
    // acme/other's audience, applied to the same store from its audiences/ directory.
    const other = path.join(root, 'other');
    await mkdir(path.join(other, 'audiences'), { recursive: true });
    await writeFile(path.join(other, 'audiences', 'silver.yaml'), manifestYaml('silver', noRun));
    await git(other, 'init', '--quiet');
    await git(other, 'remote', 'add', 'origin', 'https://github.com/acme/other.git');
    await mkdir(state);
    // A premise: the CLI's entry in this process (cli-in-process.ts); the controller is spawned.
    const applied = await runCliInProcess(['apply', 'audiences', '--state', state, '--auto-approve'], {
      cwd: other,
      env,
    });
    expect(applied.code, applied.stderr).toBe(0);
    // The controller's directory, in a clone of acme/audiences.
    await git(root, 'init', '--quiet');
    await git(root, 'remote', 'add', 'origin', 'git@github.com:acme/audiences.git');
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', noRun));

    const ctl = await spec.start(['--dir', dir, '--state', state, '--interval', '1h'], env);
    await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.reconcile.lastResult === 'success',
      20_000,
    );
    const names = em.control
      .listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX)
      .map((audience) => audience.audienceName)
      .sort();
    expect(names).toEqual(['Audience gold', 'Audience silver']);
    const record = (key: string) =>
      readFile(recordPath(state, DEMO_SANDBOX, key), 'utf8').then(
        (text) => (JSON.parse(text) as { repository?: string }).repository,
      );
    expect(await record('gold')).toBe('acme/audiences');
    expect(await record('silver')).toBe('acme/other');
    expect((await ctl.stop()).code).toBe(0);
  });
});

describe.concurrent('audiencectl run refuses bad settings before starting', () => {
  it('refuses a directory store that does not exist, as apply does', async ({ onTestFinished }) => {
    // A mistyped store read as a new one would create every audience a second time.
    const root = await mkdtemp(path.join(tmpdir(), 'audiencectl-'));
    onTestFinished(() => rm(root, { recursive: true, force: true }));
    const state = path.join(root, 'typo', 'state');
    const result = await runCli(['run', '--dir', '.', '--emulator', '--state', state], {
      env: { AUDIENCECTL_LISTEN: '127.0.0.1:0' },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `Error: no state store at ${state} (--state or AUDIENCECTL_STATE): if it is new, create it with \`audiencectl init --state ${state}\`; otherwise fix the location\n`,
    );
    await expect(access(path.dirname(state))).rejects.toThrow(/ENOENT/);
  });

  it.for<[string, string[], Record<string, string>]>([
    ['--listen', ['--listen'], {}],
    [
      '--webhook-listen',
      ['--listen', '127.0.0.1:0', '--webhook-listen'],
      { AUDIENCECTL_WEBHOOK_SECRET: 'webhook-secret-for-the-busy-port-case' },
    ],
  ])('names %s when its port is the one in use', async ([flag, args, env], { onTestFinished }) => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const state = await mkdtemp(path.join(tmpdir(), 'audiencectl-state-'));
      onTestFinished(() => rm(state, { recursive: true, force: true }));
      const result = await runCli(
        ['run', '--dir', '.', '--emulator', '--state', state, ...args, `127.0.0.1:${port}`],
        { env },
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`Error: ${flag}: cannot listen on 127.0.0.1:${port} (EADDRINUSE)\n`);
    } finally {
      server.close();
    }
  });

  it.each([
    [[], {}, /--repo .*--dir/],
    [['--repo', 'ext::sh -c touch% /tmp/x'], {}, /transport helpers/],
    [['--repo', '/tmp/x.git'], {}, /refused/],
    [['--dir', '.', '--listen', 'everywhere'], {}, /listen address/],
    [['--dir', '.', '--interval', '0s'], {}, /--interval: "0s" is too short \(must be more than 0\)/],
    [['--dir', '.'], { AUDIENCECTL_DRY_RUN: 'maybe' }, /AUDIENCECTL_DRY_RUN: "maybe" is not true or false/],
    [['--dir', '.', '--repo', 'https://example.com/a.git'], {}, /not both/],
  ])('run %j %j', async (args, env, message) => {
    const result = await runCli(['run', ...args], { env: { AUDIENCECTL_LISTEN: '127.0.0.1:0', ...env } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
  });
});
