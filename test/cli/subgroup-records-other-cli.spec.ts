import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { bothStores } from '../helpers/marks.js';
import { audienceNames, repositoryWithRemote } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { usePostgres } from '../state/pg.js';

/**
 * Two GitLab repositories sharing one store whose paths differ by a prefix: a subgroup's
 * marketing/emea/audiences and the group emea's emea/audiences, each with its `audiences/`.
 * Their sandbox marks tell them apart by their root commits (subgroup-mark-own-cli), but the
 * first's RECORDS were still held by every plan of the second with a question ("a mirror's of
 * the same repository, or another repository ... remove its manifest in a clone of ..."), one
 * warning per audience, on every plan and apply. A record whose repository's marks record roots
 * that share none with this clone's is now another repository's: left alone, counted in the
 * plan's "Other repositories" note, never deleted here, while the second still deletes its own.
 * Real git repositories (their remotes only named), the emulator over HTTP, the built CLI, both
 * stores.
 */
const postgres = usePostgres();
const A_URL = 'https://gitlab.com/marketing/emea/audiences.git';
const B_URL = 'git@gitlab.com:emea/audiences.git';

describe("records of a repository whose path differs by a prefix and whose history is another's", () => {
  it.each(bothStores(postgres))(
    "$name store: are another repository's, not held with a question, and never deleted",
    async (kind) => {
      await withTempDir(async (root) =>
        withEmulator({ operationDelayMs: 10 }, async (emulator) => {
          const a = await repositoryWithRemote(root, 'a', A_URL, ['a1', 'a2']);
          const b = await repositoryWithRemote(root, 'b', B_URL, ['b1']);
          const state = await kind.location(root);
          const env = emulatorEnv(emulator);
          const apply = (repo: string, ...flags: string[]) =>
            runCli(['apply', 'audiences', '--state', state, '--auto-approve', ...flags], { cwd: repo, env });
          const plan = (repo: string, ...flags: string[]) =>
            runCli(['plan', 'audiences', '--state', state, ...flags], { cwd: repo, env });
          const flat = (text: string) => text.replace(/\s+/g, ' ');

          // The first repository applied (the premise) by the CLI's entry in this process.
          expect(
            (
              await runCliInProcess(['apply', 'audiences', '--state', state, '--auto-approve'], {
                cwd: a.repo,
                env,
              })
            ).code,
          ).toBe(0);

          const planned = await plan(b.repo);
          expect(planned.code, planned.stderr).toBe(0);
          expect(planned.stdout).not.toContain('prod/a1: it was applied from');
          expect(planned.stdout).not.toMatch(/prod\/a[12]\s+delete/);
          expect(flat(planned.stdout)).toContain(
            'Other repositories: 2 recorded audience(s) applied from marketing/emea/audiences, whose manifests this plan, of emea/audiences, does not read; left alone, never deleted here',
          );
          const json = await plan(b.repo, '--output', 'json');
          expect(json.code, json.stderr).toBe(0);
          const parsed = JSON.parse(json.stdout) as {
            held: unknown[];
            otherRepositories?: { planned: string; recorded: { repository: string; count: number }[] };
          };
          expect(parsed.held).toEqual([]);
          expect(parsed.otherRepositories).toEqual({
            planned: 'emea/audiences',
            recorded: [{ repository: 'marketing/emea/audiences', count: 2 }],
          });

          const applied = await apply(b.repo);
          expect(applied.code, applied.stderr).toBe(0);
          expect(applied.stdout).not.toMatch(/prod\/a[12]\s+delete/);
          expect(applied.stdout).not.toContain('prod/a1: it was applied from');
          expect(audienceNames(emulator)).toEqual(['Audience a1', 'Audience a2', 'Audience b1']);

          // The second removes its only manifest and applies its empty directory: it deletes its
          // own audience, and none of the first's.
          await rm(path.join(b.repo, 'audiences/b1.yaml'));
          await b.git('commit', '--quiet', '-am', 'b1 removed');
          const emptied = await apply(b.repo, '--allow-empty-source');
          expect(emptied.code, emptied.stderr).toBe(0);
          expect(emptied.stdout).toMatch(/prod\/b1\s+delete/);
          expect(emptied.stdout).not.toMatch(/prod\/a[12]\s+delete/);
          expect(audienceNames(emulator)).toEqual(['Audience a1', 'Audience a2']);

          // The first, the other way round: the second's marks are known now, and its own
          // removal still deletes.
          await rm(path.join(a.repo, 'audiences/a1.yaml'));
          await a.git('commit', '--quiet', '-am', 'a1 removed');
          const own = await apply(a.repo);
          expect(own.code, own.stderr).toBe(0);
          expect(own.stdout).toMatch(/prod\/a1\s+delete/);
          expect(audienceNames(emulator)).toEqual(['Audience a2']);
        }),
      );
    },
  );
});
