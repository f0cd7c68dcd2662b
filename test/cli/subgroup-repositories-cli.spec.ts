import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { audienceNames, storedRecord, repositoryWithRemote } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';
import type { RunningEmulator } from '../../src/emulator/index.js';

/**
 * Two GitLab repositories sharing one store, each with its `audiences/`: marketing/emea/audiences
 * (a subgroup's) and emea/audiences (another group's). A path that ends with the other after a
 * `/` may be a mirror's prefix of the same repository, or another repository: the second's plan
 * took the first's records for its own and deleted their audiences, whose manifests are alive in
 * the first (review known-42, H-1). Such a record's removal now waits for git to show it: a
 * clone of the same repository through a mirror's prefix still deletes. Real git repositories
 * (remotes only named), the emulator over HTTP, the CLI.
 */

/** marketing/emea/audiences (a1, a2) applied to the store in `root`, and emea/audiences (b1) beside it. */
async function firstApplied(root: string, emulator: RunningEmulator) {
  const a = await repositoryWithRemote(root, 'a', 'https://gitlab.com/marketing/emea/audiences.git', [
    'a1',
    'a2',
  ]);
  const b = await repositoryWithRemote(root, 'b', 'git@gitlab.com:emea/audiences.git', ['b1']);
  const state = path.join(root, 'state');
  const env = emulatorEnv(emulator);
  expect((await apply(path.join(a.repo, 'audiences'), state, env)).code).toBe(0);
  return { b, state, env };
}

describe('two GitLab repositories sharing a store, one path the end of the other', () => {
  it("the second's plan and apply delete none of the first's audiences", async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { b, state, env } = await firstApplied(root, emulator);
        expect((await storedRecord(state, 'a1')).repository).toBe('marketing/emea/audiences');

        const planned = await runCli(['plan', 'audiences', '--state', state], { cwd: b.repo, env });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout).not.toMatch(/prod\/a[12]\s+delete/);
        // The sandbox's mark records the first's root commit, which is not this one's: its
        // records are another repository's (subgroup-records-other-cli), not held with a question.
        expect(planned.stdout.replace(/\s+/g, ' ')).toContain(
          'Other repositories: 2 recorded audience(s) applied from marketing/emea/audiences',
        );
        // The apply is not refused either, and deletes none of the first's audiences.
        const applied = await apply(path.join(b.repo, 'audiences'), state, env);
        expect(applied.code, applied.stdout).toBe(0);
        expect(applied.stdout).not.toMatch(/prod\/a[12]\s+delete/);
        expect(audienceNames(emulator)).toEqual(['Audience a1', 'Audience a2', 'Audience b1']);
        expect((await storedRecord(state, 'b1')).repository).toBe('emea/audiences');
      }),
    );
  });

  it("a mark without root commits (an earlier release wrote it): the first's records are held, saying why", async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { b, state, env } = await firstApplied(root, emulator);
        // An earlier release's write of the mark: its fields, without the roots it does not know.
        const metaFile = path.join(state, 'meta.json');
        const meta = JSON.parse(await readFile(metaFile, 'utf8')) as {
          revisions: Record<string, Record<string, unknown>>;
        };
        expect(meta.revisions.prod?.roots).toBeDefined();
        delete meta.revisions.prod?.roots;
        await writeFile(metaFile, JSON.stringify(meta));

        const planned = await runCli(['plan', 'audiences', '--state', state], { cwd: b.repo, env });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout).not.toMatch(/prod\/a[12]\s+delete/);
        expect(planned.stdout.replace(/\s+/g, ' ')).toContain(
          "prod/a1: it was applied from marketing/emea/audiences (its directory audiences), where its file audiences/a1.yaml is gone, and this plan is of emea/audiences, a path that differs from it by a prefix: a mirror's of the same repository, or another repository of the same name in another group (GitLab subgroups), sharing the store; its history does not show it removing that file, so the audience is left as it is: to delete it, remove its manifest in a clone of marketing/emea/audiences",
        );
      }),
    );
  });

  it("a clone of the first through a mirror's prefix still deletes a manifest it removes", async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const a = await repositoryWithRemote(root, 'a', 'https://gitlab.com/marketing/emea/audiences.git', [
          'a1',
          'a2',
        ]);
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(a.repo, 'audiences'), state, env)).code).toBe(0);
        // The CI job's clone: the same history, its remote a mirror's path under a prefix.
        await a.git(
          'remote',
          'set-url',
          'origin',
          'https://mirror.example.com/mirrors/marketing/emea/audiences.git',
        );
        await rm(path.join(a.repo, 'audiences/a1.yaml'));
        await a.git('commit', '--quiet', '-am', 'a1 removed');
        const planned = await runCli(['plan', 'audiences', '--state', state], { cwd: a.repo, env });
        expect(planned.stdout).toMatch(/prod\/a1\s+delete/);
        expect((await apply(path.join(a.repo, 'audiences'), state, env)).code).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience a2']);
      }),
    );
  });
});
