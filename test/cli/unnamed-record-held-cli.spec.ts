import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { GIT_ENV, runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import {
  audienceNames,
  gitIn,
  gitRepository,
  repositoryWithRemote,
  shallowClone,
} from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * Review scope-44, H-1: the reverse of scope-41 H-1 (test/cli/no-remote-shares-store-cli.spec.ts). A
 * second team's repository, `git init` and not pushed yet (no remote), applies its audiences/
 * to the store acme/audiences applies its audiences/ to. Its records name no repository, so the
 * next plan of acme/audiences reads b1 as its own removed manifest: `- prod/b1 delete: manifest
 * removed`. A full clone is refused it only because b1's commit is not in its history; a CI job's
 * shallow clone (actions/checkout, depth 1) of a commit made after it cannot tell, and deletes it.
 * acme/audiences's history never held audiences/b1.yaml: it is held, never deleted. A record that
 * names no repository and whose removal this work tree's history shows (applied before the
 * remote was added, as an earlier release's records name none) is still deleted.
 */
const quiet = { ingestion: { onCreate: false } };
const run = promisify(execFile);

const heldLine =
  "prod/b1: it was applied from audiences (from the top of its git work tree) by a work tree that named no repository (it had no remote, or a path on this machine as its remote), where its file audiences/b1.yaml is gone, and this plan is of acme/audiences, whose history does not show it removing that file: it may be another repository's, not pushed yet, sharing the store; the audience is left as it is: to delete it, remove its manifest in the work tree it was applied from, or, if that was this repository before its remote was added, apply from a clone of acme/audiences with its full history (git fetch --unshallow)";

describe('a repository with a remote sharing the store with one that has none', () => {
  it("neither plans nor applies the deletion of the other's audience", async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const a = await repositoryWithRemote(root, 'a', 'https://github.com/acme/audiences.git', ['a1']);
        const b = await gitRepository(root, { 'audiences/b1.yaml': manifestYaml('b1', quiet) }, 'b');
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(a.repo, 'audiences'), state, env)).code).toBe(0);
        expect((await apply(path.join(b.repo, 'audiences'), state, env)).code).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience a1', 'Audience b1']);

        const full = await runCli(['plan', 'audiences', '--state', state], { cwd: a.repo, env });
        expect(full.code, full.stderr).toBe(0);
        expect(full.stdout).not.toMatch(/prod\/b1\s+delete/);
        expect(full.stdout.replace(/\s+/g, ' ')).toContain(heldLine);

        // acme/audiences's next commit, an hour later, checked out by CI one commit deep.
        await writeFile(path.join(a.repo, 'audiences', 'a2.yaml'), manifestYaml('a2', quiet));
        await a.git('add', 'audiences/a2.yaml');
        const { stdout: when } = await b.git('log', '-1', '--format=%ct');
        const later = `@${Number(when.trim()) + 3600} +0000`;
        await run('git', ['commit', '--quiet', '-m', 'a2'], {
          cwd: a.repo,
          env: { ...process.env, ...GIT_ENV, GIT_COMMITTER_DATE: later, GIT_AUTHOR_DATE: later },
        });
        const ci = path.join(root, 'ci');
        await shallowClone(a.repo, ci);
        await gitIn(ci)('remote', 'set-url', 'origin', 'https://github.com/acme/audiences.git');
        const planned = await runCli(['plan', 'audiences', '--state', state], { cwd: ci, env });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout).not.toMatch(/prod\/b1\s+delete/);
        expect(planned.stdout.replace(/\s+/g, ' ')).toContain(heldLine);
        const applied = await apply(path.join(ci, 'audiences'), state, env);
        expect(applied.code, applied.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience a1', 'Audience a2', 'Audience b1']);
      }),
    );
  });

  it('still deletes a record naming no repository whose removal its history shows', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const files = {
          'audiences/a1.yaml': manifestYaml('a1', quiet),
          'audiences/a2.yaml': manifestYaml('a2', quiet),
        };
        const a = await gitRepository(root, files, 'a');
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(a.repo, 'audiences'), state, env)).code).toBe(0);
        await a.git('remote', 'add', 'origin', 'https://github.com/acme/audiences.git');
        await a.git('rm', '--quiet', 'audiences/a1.yaml');
        await a.git('commit', '--quiet', '-m', 'remove a1');
        const planned = await runCli(['plan', 'audiences', '--state', state], { cwd: a.repo, env });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout).toMatch(/- prod\/a1\s+delete: manifest removed/);
        const applied = await apply(path.join(a.repo, 'audiences'), state, env);
        expect(applied.code, applied.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience a2']);
      }),
    );
  });
});
