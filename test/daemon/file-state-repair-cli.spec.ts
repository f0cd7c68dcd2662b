import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX, startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { CLI } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import {
  assertBuilt,
  cleanUp,
  controllerEnv,
  eventually,
  startController,
  type ControllerProcess,
} from './helpers/controller.js';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');

/**
 * REVIEW-34a L-4. The chart's file state lives on a volume only the controller's pod mounts, so
 * docs/deploy.md ("Repairing the file state") repairs it from inside the pod, beside the running
 * controller: `kubectl exec deploy/audiencectl -- audiencectl state …` with the container's
 * environment (AUDIENCECTL_STATE_DIR, the AEP credentials) and no --state. The controller takes
 * a directory store's lock for a pass only, so the repair runs (or waits, --lock-timeout) and the
 * next pass uses what it wrote. Here: the built CLI with the controller's own environment.
 */
/** The section's commands: the id's assignment, then each `kubectl exec`'s command after `--`. */
async function documentedCommands(): Promise<{
  setup: string;
  list: string;
  forget: string;
  importBack: string;
}> {
  const docs = await readFile(path.join(repoRoot, 'docs', 'deploy.md'), 'utf8');
  const section = docs.slice(
    docs.indexOf('### Repairing the file state'),
    docs.indexOf('### Egress through a proxy'),
  );
  const lines = section.split('\n');
  const prefix = /^kubectl -n audiencectl exec (-i )?deploy\/audiencectl -- /;
  const commands = lines.filter((line) => prefix.test(line)).map((line) => line.replace(prefix, ''));
  expect(commands).toHaveLength(3);
  const [list = '', forget = '', importBack = ''] = commands;
  expect(list).toBe('audiencectl state list');
  expect(forget).toMatch(/^audiencectl state forget gold /);
  expect(importBack).toMatch(/audiencectl state import gold /);
  return { setup: lines.find((line) => line.startsWith('AUDIENCE_ID=')) ?? '', list, forget, importBack };
}

function shell(
  script: string,
  options: { cwd: string; env: Record<string, string> },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', script], options, (error, stdout, stderr) => {
      let code = 0;
      if (error) code = typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

let emulator: RunningEmulator | undefined;
let root: string | undefined;
let controller: ControllerProcess | undefined;

beforeAll(assertBuilt);

afterEach(async () => {
  await cleanUp({ controller, emulator, dir: root });
  controller = emulator = root = undefined;
});

describe('repairing a controller file state from its own environment', () => {
  it('forgets and imports back a record while the controller runs, and no audience is created twice', async () => {
    emulator = await startEmulator({ port: 0 });
    const em = emulator;
    root = await mkdtemp(path.join(tmpdir(), 'audiencectl-file-repair-'));
    const dir = path.join(root, 'manifests');
    const state = path.join(root, 'state');
    await mkdir(dir);
    await mkdir(state);
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
    // The pod's: the state directory from the ConfigMap, the credentials from the Secret.
    const env = { ...controllerEnv(em), AUDIENCECTL_STATE_DIR: state, AUDIENCECTL_DRY_RUN: 'false' };
    controller = await startController(['--dir', dir, '--interval', '1h'], env);
    const ctl = controller;
    await eventually(
      () => ctl.status(),
      (s) => s.reconcile.lastResult === 'success',
      20_000,
    );
    const audiences = () => em.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX);
    const [gold, ...others] = audiences();
    expect(others).toEqual([]);
    const id = gold?.audienceId ?? '';
    expect(id).not.toBe('');

    // The docs' commands, each run as `kubectl exec` runs it in the pod: what follows `--`, by
    // a shell, with the container's environment and an `audiencectl` on the PATH linked to the
    // CLI as the image links it; from a checkout holding the manifest (the import reads it).
    const { setup, list, forget, importBack } = await documentedCommands();
    const bin = path.join(root, 'bin');
    await mkdir(bin);
    await symlink(CLI, path.join(bin, 'audiencectl'));
    const checkout = path.join(root, 'checkout');
    await mkdir(path.join(checkout, 'audiences'), { recursive: true });
    await writeFile(
      path.join(checkout, 'audiences', 'gold.yaml'),
      manifestYaml('gold', { ingestion: { onCreate: false } }),
    );
    const inPod = (command: string) =>
      shell(`AUDIENCE_ID=${id}\n${command}`, {
        cwd: checkout,
        env: { ...env, PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: '/nonexistent' },
      });
    expect(setup).toMatch(/^AUDIENCE_ID=[0-9a-f-]{36}$/);

    const listed = await inPod(list);
    expect(listed.stderr).toBe('');
    expect(listed.stdout.split('\n')).toContain(`prod     gold  ${id}  ok      -`);
    const forgot = await inPod(forget);
    expect(forgot.code, forgot.stderr).toBe(0);
    expect(forgot.stdout.split('\n')[0]).toBe(
      `Forgot prod/gold (audience ${id}). The remote audience is untouched.`,
    );
    expect((await inPod(list)).stdout).not.toContain(id);
    const imported = await inPod(importBack);
    expect(imported.code, imported.stderr).toBe(0);
    expect((await inPod(list)).stdout.split('\n')).toContain(`prod     gold  ${id}  ok      -`);

    // The controller's next pass (a new manifest, seen by the watcher) takes the imported
    // record: gold is neither created again nor blocked.
    await writeFile(
      path.join(dir, 'silver.yaml'),
      manifestYaml('silver', { ingestion: { onCreate: false } }),
    );
    await eventually(
      () => ctl.status(),
      (s) => s.reconcile.lastResult === 'success' && s.audiences.length === 2,
      20_000,
    );
    const names = audiences()
      .map((audience) => audience.audienceName)
      .sort();
    expect(names).toEqual(['Audience gold', 'Audience silver']);
    expect(audiences().find((audience) => audience.audienceName === 'Audience gold')?.audienceId).toBe(id);
    const status = await ctl.status();
    expect(status.audiences.map((audience) => [audience.key, audience.state])).toEqual([
      ['gold', 'in-sync'],
      ['silver', 'in-sync'],
    ]);
  });
});
