import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { CLI, withTempDir } from '../helpers/cli.js';

// `audiencectl emulator --data-dir` killed (SIGKILL, OOM, a lost pod) while it writes its
// state: the file holds the last whole state, and the next start removes the half-written
// `.emulator-state.json.<pid>.<hex>.tmp` (no start did: each such kill left one more copy of
// the whole state). The preload (fixtures/emulator-write-pause.mjs) stops the third write
// half-way, so the kill lands mid-write.

const PRELOAD = fileURLToPath(new URL('./fixtures/emulator-write-pause.mjs', import.meta.url));

type Spawned = { child: ChildProcess; stdout: () => string; stderr: () => string };

function emulator(dataDir: string, preload: boolean): Spawned {
  const args = [...(preload ? ['--import', PRELOAD] : []), CLI, 'emulator', '--port', '0'];
  const child = spawn(process.execPath, [...args, '--operation-delay-ms', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, EMULATOR_PAUSE_WRITE: '3' },
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { child, stdout: () => out, stderr: () => err };
}

async function printed(spawned: Spawned, pattern: RegExp): Promise<RegExpExecArray> {
  for (;;) {
    const match = pattern.exec(spawned.stdout());
    if (match) return match;
    if (spawned.child.exitCode !== null || spawned.child.signalCode !== null)
      throw new Error(`exited: ${spawned.stdout()} ${spawned.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function create(url: string, name: string): Promise<void> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: DEMO_CLIENT.clientId,
    client_secret: DEMO_CLIENT.clientSecret,
  });
  const ims = await fetch(`${url}/ims/token/v3`, { method: 'POST', body: form });
  const { access_token: token } = (await ims.json()) as { access_token: string };
  const response = await fetch(`${url}/data/core/ais/external-audience/`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'x-api-key': DEMO_CLIENT.clientId,
      'x-gw-ims-org-id': DEMO_CLIENT.orgId,
      'x-sandbox-name': 'prod',
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      name,
      originName: 'CUSTOM_UPLOAD',
      fields: [{ name: 'email', type: 'string', identityNs: 'email' }],
      sourceSpec: { path: 'crm/gold.csv', type: 'file' },
    }),
  });
  expect(response.status).toBe(202);
}

async function savedNames(dataDir: string): Promise<string[]> {
  const text = await readFile(path.join(dataDir, 'emulator-state.json'), 'utf8');
  return (JSON.parse(text) as { audiences: Array<{ name: string }> }).audiences.map((a) => a.name);
}

describe('emulator --data-dir killed mid-write', () => {
  it('the next start reads the last whole state and removes the half-written temporary file', async () => {
    await withTempDir(async (dir) => {
      const dataDir = path.join(dir, 'data');
      const first = emulator(dataDir, true);
      const url = (await printed(first, /listening on (http:\/\/\S+)/))[1]!;
      await create(url, 'Kept');
      // The second write (Kept) lands on disk before the third (Lost) starts.
      while (!(await savedNames(dataDir).catch((): string[] => [])).includes('Kept'))
        await new Promise((resolve) => setTimeout(resolve, 20));
      await create(url, 'Lost');
      const paused = await printed(first, /^paused (\S+) (\d+) (\d+)$/m);
      expect(Number(paused[2])).toBeLessThan(Number(paused[3]));
      const temp = path.basename(paused[1]!);
      expect(await readdir(dataDir)).toContain(temp);
      first.child.kill('SIGKILL');
      await once(first.child, 'exit');
      expect(await savedNames(dataDir)).toEqual(['Kept']);

      const second = emulator(dataDir, false);
      try {
        await printed(second, /listening on (http:\/\/\S+)/);
        expect(await savedNames(dataDir)).toEqual(['Kept']);
        expect((await readdir(dataDir)).filter((entry) => entry.endsWith('.tmp'))).toEqual([]);
      } finally {
        second.child.kill('SIGTERM');
        await once(second.child, 'exit');
      }
    });
  });
});
