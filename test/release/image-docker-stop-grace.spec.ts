import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { createGitFixture, type GitFixture } from '../source/helpers/git-fixture.js';
import {
  assertBuilt,
  cleanUp,
  controllerEnv,
  startController,
  type ControllerProcess,
} from '../daemon/helpers/controller.js';

/**
 * REVIEW chart-42 L-2. docs/deploy.md, "Container image", runs the controller with
 * `docker run … audiencectl:dev`. `docker stop` (and `docker restart`, a host's shutdown, a
 * compose `down`) sends SIGTERM and, after its stop timeout (10 s unless `--stop-timeout`),
 * SIGKILL. Neither the command nor the image set the controller's shutdown grace, so it was
 * the app's 25 s: on SIGTERM it waits up to 20 s for the calls in flight and releases the
 * state lock after them, and Docker killed it mid-shutdown: a call in flight cut, the file
 * state's lock left to go stale. The documented command now gives Docker a stop timeout over
 * the grace (--stop-timeout 30).
 *
 * Here: the image's ENV (Dockerfile) and the documented command's -e values, the controller
 * (dist/) started with them, its grace as it logs it on SIGTERM, against the stop timeout
 * the documented command gives Docker.
 */
const DOCKER_DEFAULT_STOP_TIMEOUT_S = 10;
const root = path.resolve(import.meta.dirname, '../..');

/** The `docker run` example under "## Container image", continuation lines joined. */
async function documentedDockerRun(): Promise<string[]> {
  const text = await readFile(path.join(root, 'docs/deploy.md'), 'utf8');
  const section = text.slice(text.indexOf('\n## Container image\n'));
  const block = [...section.matchAll(/```sh\n([\s\S]*?)```/g)]
    .map((m) => m[1] ?? '')
    .find((code) => /^docker run /m.test(code));
  if (block === undefined) throw new Error('no docker run example');
  const line =
    block
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .find((l) => l.startsWith('docker run ')) ?? '';
  return line.match(/"[^"]*"|'[^']*'|\S+/g) ?? [];
}

async function imageEnv(): Promise<Record<string, string>> {
  const dockerfile = await readFile(path.join(root, 'Dockerfile'), 'utf8');
  const env: Record<string, string> = {};
  for (const block of dockerfile.matchAll(/^ENV ((?:.*\\\n)*.*)$/gm))
    for (const [, name, value] of (block[1] ?? '').matchAll(/([A-Z_]+)=(\S+)/g)) env[name!] = value!;
  return env;
}

let emulator: RunningEmulator | undefined;
let fixture: GitFixture | undefined;
let controller: ControllerProcess | undefined;
let dir: string | undefined;

beforeAll(assertBuilt);
afterEach(async () => {
  await cleanUp({ controller, emulator, fixture, dir });
  controller = emulator = fixture = dir = undefined;
});

describe('the documented docker run', () => {
  it('stops within the stop timeout it gives Docker', async () => {
    const words = await documentedDockerRun();
    const stopFlag = words.findIndex((w) => w === '--stop-timeout' || w.startsWith('--stop-timeout='));
    const stopTimeoutS =
      stopFlag < 0
        ? DOCKER_DEFAULT_STOP_TIMEOUT_S
        : Number(words[stopFlag]!.includes('=') ? words[stopFlag]!.split('=')[1] : words[stopFlag + 1]);
    const given: Record<string, string> = {};
    for (let i = 0; i < words.length; i += 1) {
      const pair = words[i] === '-e' ? words[i + 1] : undefined;
      if (pair?.includes('=')) given[pair.slice(0, pair.indexOf('='))] = pair.slice(pair.indexOf('=') + 1);
    }

    emulator = await startEmulator({ port: 0 });
    fixture = await createGitFixture();
    await fixture.commit({ 'audiences/README.md': 'audiences\n' });
    dir = await mkdtemp(path.join(tmpdir(), 'audiencectl-docker-stop-'));
    const env = {
      ...controllerEnv(emulator),
      ...(await imageEnv()),
      ...given,
      // This machine's paths and a local repository in place of the image's and GitHub.
      AUDIENCECTL_STATE_DIR: path.join(dir, 'state'),
      AUDIENCECTL_WORK_DIR: path.join(dir, 'work'),
      AUDIENCECTL_LISTEN: '127.0.0.1:0',
      AUDIENCECTL_REPO_URL: fixture.bare,
      AUDIENCECTL_ALLOW_FILE_URLS: 'true',
    };
    controller = await startController(['--state', path.join(dir, 'state')], env);
    const stopping = controller.waitForLog((line) => line.msg === 'shutting down');
    controller.child.kill('SIGTERM');
    const graceMs = Number((await stopping)['graceMs']);
    expect(
      graceMs,
      `the controller's grace ${graceMs} ms, Docker's stop timeout ${stopTimeoutS} s`,
    ).toBeLessThan(stopTimeoutS * 1000);
  });
});
