import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { GIT_ENV, runCli, withTempDir } from '../helpers/cli.js';
import { audienceNames, gitIn, repositoryWithRemote, shallowClone } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * Review scope-44, H-2: a repository made from another as a template (GitHub "Use this template", or
 * a copy `git init`-ed again: no shared history), acme/emea-audiences, keeps an `upstream` remote
 * naming the template, acme/audiences, to merge its updates. Sharing the store acme/audiences
 * applies, its first plan is made as acme/audiences (the fork rule: the store knows nothing of its
 * origin), and acme/audiences's audiences, whose files it never held, read as its own removed
 * manifests: a CI job's shallow clone deletes them. Its history shares no commit with
 * acme/audiences: it is no clone of it, and holds them. A fork's clone, whose history holds
 * acme/audiences's, still deletes what it removes.
 */
const run = promisify(execFile);

const heldLine =
  "prod/a1: it was applied from acme/audiences (its directory audiences), where its file audiences/a1.yaml is gone, and this plan is made as acme/audiences for a clone of acme/emea-audiences (another of its remotes names acme/audiences), whose history does not show it removing that file: a fork's clone without that history, or another repository made from it (a template) sharing the store; the audience is left as it is: to delete it, remove its manifest in a clone of acme/audiences, or, if acme/emea-audiences is its fork, apply from a clone of acme/emea-audiences with its full history (git fetch --unshallow)";

describe('a repository made from a template, with the template as its upstream', () => {
  it("neither plans nor applies the deletion of the template repository's audiences", async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const a = await repositoryWithRemote(root, 'a', 'https://github.com/acme/audiences.git', ['a1']);
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(a.repo, 'audiences'), state, env)).code).toBe(0);

        const c = await repositoryWithRemote(root, 'c', 'https://github.com/acme/emea-audiences.git', ['c1']);
        await c.git('remote', 'add', 'upstream', 'https://github.com/acme/audiences.git');
        const { stdout: when } = await a.git('log', '-1', '--format=%ct');
        const later = `@${Number(when.trim()) + 3600} +0000`;
        await run('git', ['commit', '--amend', '--no-edit', '--quiet'], {
          cwd: c.repo,
          env: { ...process.env, ...GIT_ENV, GIT_COMMITTER_DATE: later, GIT_AUTHOR_DATE: later },
        });
        const full = await runCli(['plan', 'audiences', '--state', state], { cwd: c.repo, env });
        expect(full.code, full.stderr).toBe(0);
        expect(full.stdout).not.toMatch(/prod\/a1\s+delete/);
        expect(full.stdout.replace(/\s+/g, ' ')).toContain(heldLine);

        const ci = path.join(root, 'ci');
        await shallowClone(c.repo, ci);
        await gitIn(ci)('remote', 'set-url', 'origin', 'https://github.com/acme/emea-audiences.git');
        await gitIn(ci)('remote', 'add', 'upstream', 'https://github.com/acme/audiences.git');
        const applied = await apply(path.join(ci, 'audiences'), state, env);
        expect(applied.code, applied.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience a1', 'Audience c1']);
      }),
    );
  });

  it("a fork's clone still deletes what its history removes", async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const a = await repositoryWithRemote(root, 'a', 'https://github.com/acme/audiences.git', [
          'a1',
          'a2',
        ]);
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(a.repo, 'audiences'), state, env)).code).toBe(0);
        const fork = path.join(root, 'fork');
        await run('git', ['clone', '--quiet', a.repo, fork], { env: { ...process.env, ...GIT_ENV } });
        const git = gitIn(fork);
        await git('remote', 'set-url', 'origin', 'https://github.com/alice/audiences.git');
        await git('remote', 'add', 'upstream', 'https://github.com/acme/audiences.git');
        await git('rm', '--quiet', 'audiences/a1.yaml');
        await git('commit', '--quiet', '-m', 'remove a1');
        const planned = await runCli(['plan', 'audiences', '--state', state], { cwd: fork, env });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout).toMatch(/- prod\/a1\s+delete: manifest removed/);
        const applied = await apply(path.join(fork, 'audiences'), state, env);
        expect(applied.code, applied.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience a2']);
      }),
    );
  });
});
