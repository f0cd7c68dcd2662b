import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { docsInstallArgs } from './docs-example.js';
import { find, helmBinaries, helmWithValues, parseObjects } from './helm.js';
import { manifestYaml } from '../helpers/manifests.js';
import { createGitFixture, type GitFixture } from '../source/helpers/git-fixture.js';
import {
  assertBuilt,
  cleanUp,
  controllerEnv,
  eventually,
  startController,
  type ControllerProcess,
} from '../daemon/helpers/controller.js';

/**
 * REVIEW chart-42 M-2. docs/deploy.md's Install runs `helm install …` (no --wait: helm returns
 * once the objects exist) and then `helm test -n audiencectl audiencectl`. The chart's test pod
 * asked /readyz once and failed on anything but 200 (a stack trace in its log), and a pod just
 * created answers 503 until its first git sync (or nothing at all while its image is pulled):
 * the documented sequence failed on a correct install, and the failed test pod stayed behind
 * (hook-delete-policy hook-succeeded). The test now waits for the release to become ready
 * (within helm test's own --timeout), then checks /readyz and /metrics.
 *
 * Here: the rendered test pod's own command (node, the script, BASE_URL) runs against a
 * controller (dist/) that has not synced yet, through a recording proxy standing for the
 * Service; the repository's branch then appears and the controller becomes ready.
 */
type TestPod = { command: string[]; env: { name: string; value?: string }[] };

let emulator: RunningEmulator | undefined;
let fixture: GitFixture | undefined;
let controller: ControllerProcess | undefined;
let proxy: Server | undefined;
let root: string | undefined;

beforeAll(assertBuilt);
afterEach(async () => {
  proxy?.close();
  await cleanUp({ controller, emulator, fixture, dir: root });
  controller = emulator = fixture = proxy = root = undefined;
});

async function renderedTestPod(): Promise<TestPod> {
  const [bin] = helmBinaries();
  const result = await helmWithValues(bin!, await docsInstallArgs(), undefined);
  expect(result.stderr).toBe('');
  const pod = find(parseObjects(result.stdout), 'Pod');
  expect(pod.metadata.annotations?.['helm.sh/hook']).toBe('test');
  const container = (pod.spec as { containers: TestPod[] }).containers[0];
  if (!container) throw new Error('the test pod has no container');
  return container;
}

/** The Service in front of the controller: forwards every request and records its answer. */
async function recordingProxy(target: string, seen: string[]): Promise<string> {
  proxy = createServer((req, res) => {
    void fetch(new URL(req.url ?? '/', target), { headers: req.headers as Record<string, string> }).then(
      async (answer) => {
        seen.push(`${req.url} ${answer.status}`);
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
        res.end(Buffer.from(await answer.arrayBuffer()));
      },
      () => {
        seen.push(`${req.url} unreachable`);
        res.destroy();
      },
    );
  });
  await new Promise<void>((resolve) => proxy!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}

describe('helm test right after the documented helm install', () => {
  it('waits for the release to become ready, then passes', async () => {
    const pod = await renderedTestPod();
    emulator = await startEmulator({ port: 0 });
    fixture = await createGitFixture();
    root = await mkdtemp(path.join(tmpdir(), 'audiencectl-helm-test-'));
    // The repository has no branch yet: the first sync fails, /readyz answers 503.
    controller = await startController(
      [
        ...['--repo', fixture.bare, '--allow-file-urls', '--branch', 'main', '--path', 'audiences'],
        ...['--work-dir', fixture.workDir, '--state', path.join(root, 'state'), '--interval', '1s'],
      ],
      controllerEnv(emulator),
    );
    const seen: string[] = [];
    const baseUrl = await recordingProxy(controller.url, seen);

    const [node, ...args] = pod.command;
    expect(node).toBe('node');
    const env = Object.fromEntries(pod.env.map((e) => [e.name, e.value ?? '']));
    const test = spawn(process.execPath, args, {
      // The proxy stands for both: the Service (BASE_URL) and the pods ready or not (PODS_URL).
      env: { PATH: process.env.PATH ?? '', ...env, BASE_URL: baseUrl, PODS_URL: baseUrl },
    });
    let output = '';
    test.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    test.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => test.on('exit', (code) => resolve(code)));

    // The test asked while the release was still starting.
    await eventually(
      () => seen,
      (list) => list.includes('/readyz 503'),
      30_000,
      'the test pod asking /readyz before the first sync',
    );
    // The repository gets its branch: the next sync succeeds and the controller is ready.
    await fixture.commit({ 'audiences/gold.yaml': manifestYaml('gold') });
    await eventually(
      () => controller!.status(),
      (s) => s.source.revision !== null,
      60_000,
      'the first successful sync',
    );

    const code = await exited;
    expect(output).toContain('/readyz: ok');
    expect(code, output).toBe(0);
  });
});
