import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { git } from '../source/helpers/git-fixture.js';

const run = promisify(execFile);

/**
 * REVIEW chart-42 M-3. The Dockerfile says any command runs in the image ("`docker run --rm
 * audiencectl plan /manifests --base origin/main`"), and docs/deploy.md mounts the checkout
 * (`docker run --rm -v "$PWD:/m" … validate /m`). The image runs as uid 10001; a mounted
 * checkout belongs to the user on the host (uid 1000, a CI runner's), and git (2.35.2 and
 * later, bookworm's 2.39) refuses a repository another user owns ("detected dubious
 * ownership"). `plan --base` failed, saying `/m is not in a git repository` (it is), and the fix
 * git suggests (`git config --global --add safe.directory`) cannot be run in the image (HOME is
 * /nonexistent). The image now installs a git configuration that trusts mounted checkouts.
 *
 * Here: the built CLI run as the image runs it (uid 10001, the Dockerfile's ENV, its git
 * configuration), on a checkout owned by uid 1000 with one change against origin/main.
 */
const isRoot = process.getuid?.() === 0;
const IMAGE_UID = 10001;
const HOST_UID = 1000;
const root = path.resolve(import.meta.dirname, '../..');

async function imageEnv(): Promise<Record<string, string>> {
  const dockerfile = await readFile(path.join(root, 'Dockerfile'), 'utf8');
  const env: Record<string, string> = {};
  for (const block of dockerfile.matchAll(/^ENV ((?:.*\\\n)*.*)$/gm))
    for (const [, name, value] of (block[1] ?? '').matchAll(/([A-Z0-9_]+)=(\S+)/g)) env[name!] = value!;
  return env;
}

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('the image on a checkout mounted from the host', () => {
  it.skipIf(!isRoot)('plans a change against its base', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'audiencectl-mounted-'));
    await chmod(dir, 0o755);
    const checkout = path.join(dir, 'm');
    await run('git', ['init', '-q', '-b', 'main', checkout]);
    await writeFile(path.join(checkout, 'gold.yaml'), manifestYaml('gold'));
    await git(checkout, 'add', '.');
    await git(checkout, 'commit', '-qm', 'base');
    await git(checkout, 'update-ref', 'refs/remotes/origin/main', 'HEAD');
    await writeFile(path.join(checkout, 'silver.yaml'), manifestYaml('silver'));
    // The host user's files, as a bind mount shows them in the container.
    await run('chown', ['-R', `${HOST_UID}:${HOST_UID}`, checkout]);
    await chown(dir, HOST_UID, HOST_UID);

    // The file the Dockerfile installs as the image's /etc/gitconfig, if any. This machine's /etc
    // is not the spec's to change, and simple-git drops GIT_CONFIG_SYSTEM from the environment:
    // git reads it as the user's own configuration, which it trusts as much (both are protected
    // configuration, where safe.directory is read). Without one, HOME is the image user's.
    const dockerfile = await readFile(path.join(root, 'Dockerfile'), 'utf8');
    const installed = /^COPY (\S+) \/etc\/gitconfig$/m.exec(dockerfile)?.[1];
    let home = '/nonexistent';
    if (installed !== undefined) {
      home = path.join(dir, 'image-etc');
      await mkdir(home, { mode: 0o755 });
      await writeFile(path.join(home, '.gitconfig'), await readFile(path.join(root, installed), 'utf8'), {
        mode: 0o644,
      });
    }
    const env = { PATH: process.env.PATH ?? '', ...(await imageEnv()), HOME: home };
    const result = await run(process.execPath, [CLI, 'plan', checkout, '--base', 'origin/main'], {
      env,
      uid: IMAGE_UID,
      gid: IMAGE_UID,
      cwd: dir,
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(result.stderr).not.toContain('is not in a git repository');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('silver');
    expect(result.stdout).toMatch(/Plan: 1 to create/);
  });
});
