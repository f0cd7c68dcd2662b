import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const DEMO = fileURLToPath(new URL('../../scripts/demo.js', import.meta.url));

const made: string[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** `npm run demo`, one of the README's two setup commands: the whole job, start to end. */
describe('npm run demo', () => {
  it('validates, applies to the embedded emulator, lists, plans no changes, and writes nothing outside its temporary directory', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'audiencectl-demo-home-'));
    const temp = await mkdtemp(path.join(tmpdir(), 'audiencectl-demo-tmp-'));
    made.push(home, temp);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: home,
      XDG_CACHE_HOME: '',
      TMPDIR: temp,
      NO_COLOR: '1',
    };
    delete env.NODE_COMPILE_CACHE;
    const child = spawn(process.execPath, [DEMO], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    // Apply names its target on stderr; nothing else is said there (no warning, no error).
    expect(stderr).toMatch(/^Applying to the embedded emulator at http:\/\/127\.0\.0\.1:\d+\n$/);
    expect(stdout).toContain('Apply: 15 applied, 0 run(s) still running, 0 failed, 0 blocked');
    expect(stdout.trimEnd().endsWith('No changes. The audiences match the manifests.')).toBe(true);
    // Its state directory is removed at the end; nothing lands in the user's home (a cache).
    expect(await readdir(home)).toEqual([]);
    expect(await readdir(temp)).toEqual([]);
  });
});
