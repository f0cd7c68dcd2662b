import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GIT_ENV } from '../helpers/cli.js';
import { HANG_GUARD_MS, runCliGuarded } from '../helpers/hang-guard.js';
import { manifestYaml } from '../helpers/manifests.js';
import { gitRepository } from '../helpers/work-tree.js';

// Review secrets-45 (leftover 2). On Node 22.1 and later the CLI keeps V8's compiled code in
// the user's cache directory (src/cli/main.ts), made with Node's recursive mkdir, which spins a
// core for ever where mkdir answers ENOENT under a parent that exists (any new path under
// /proc): with HOME=/proc/x (a container's odd HOME) every command, even --version, hung.
// `plan --base` (the pull-request plan) made its manifest cache's directory there the same
// way. With a HOME that cannot hold a cache, commands work as usual, without it, and say
// nothing of it. Runs on Node 24 in CI (a -cli spec): the compile cache is Node 22.1's.

let root: string | undefined;

afterEach(async () => {
  if (root !== undefined) await rm(root, { recursive: true, force: true });
  root = undefined;
});

/** The CLI's environment with `home` as HOME and no other say on where its caches go. */
function homeEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...GIT_ENV, HOME: home, NO_COLOR: '1' };
  for (const name of ['XDG_CACHE_HOME', 'NODE_COMPILE_CACHE', 'NODE_DISABLE_COMPILE_CACHE', 'AEP_SANDBOX'])
    delete env[name];
  return env;
}

const HOMES = [
  ['a new path under /proc', () => '/proc/x'],
  ['a file', () => path.join(root ?? '', 'home-file')],
] as const;

describe.each(HOMES)('with HOME %s', (_label, home) => {
  it('--version, validate and plan --base answer as usual, without a cache, and say nothing of it', async () => {
    root = await mkdtemp(path.join(tmpdir(), 'audiencectl-home-'));
    await writeFile(path.join(root, 'home-file'), 'not a directory\n');
    const { repo } = await gitRepository(root, { 'aud/a.yaml': manifestYaml('a') });
    const env = homeEnv(home());

    const version = await runCliGuarded(['--version'], { env, cwd: repo });
    expect(version.hung, `killed after ${HANG_GUARD_MS} ms`).toBe(false);
    expect(version).toMatchObject({ code: 0, stderr: '' });
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);

    const validate = await runCliGuarded(['validate', 'aud'], { env, cwd: repo });
    expect(validate.hung, `killed after ${HANG_GUARD_MS} ms`).toBe(false);
    expect(validate.stderr).toBe('');
    expect(validate.code).toBe(0);

    const plan = await runCliGuarded(['plan', 'aud', '--base', 'HEAD'], { env, cwd: repo });
    expect(plan.hung, `killed after ${HANG_GUARD_MS} ms`).toBe(false);
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('No changes');
  });
});
