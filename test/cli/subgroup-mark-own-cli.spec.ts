import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { bothStores, metaOf } from '../helpers/marks.js';
import { audienceNames, repositoryWithRemote } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { usePostgres } from '../state/pg.js';

/**
 * Two GitLab repositories sharing one store whose paths differ by a prefix: a subgroup's
 * marketing/emea/audiences and the group emea's emea/audiences. The sandbox's mark took them
 * for one repository (a mirror's path), so each blocked the other's creates as an older
 * checkout, and the way out (--allow-older-checkout) was the reader's guess. A mark now records
 * the root commits of the repository applied from: two marks whose roots differ are two
 * repositories, each checked against its own last mark only. Real git repositories (their
 * remotes only named), the emulator over HTTP, the built CLI, both stores.
 */
const postgres = usePostgres();
const quiet = { ingestion: { onCreate: false } };
const A_URL = 'https://gitlab.com/marketing/emea/audiences.git';
const B_URL = 'git@gitlab.com:emea/audiences.git';

describe('two repositories whose paths differ by a prefix, sharing a store', () => {
  it.each(bothStores(postgres))(
    "$name store: each applies its own creates, neither blocked by the other's mark",
    async (kind) => {
      await withTempDir(async (root) =>
        withEmulator({ operationDelayMs: 10 }, async (emulator) => {
          const a = await repositoryWithRemote(root, 'a', A_URL, ['a1']);
          const b = await repositoryWithRemote(root, 'b', B_URL, ['b1']);
          const aRoot = (await a.git('rev-list', '--max-parents=0', 'HEAD')).stdout.trim();
          const bRoot = (await b.git('rev-list', '--max-parents=0', 'HEAD')).stdout.trim();
          const state = await kind.location(root);
          const env = emulatorEnv(emulator);
          const apply = (repo: string) =>
            runCli(['apply', 'audiences', '--state', state, '--auto-approve'], { cwd: repo, env });
          const plan = (repo: string) => runCli(['plan', 'audiences', '--state', state], { cwd: repo, env });

          // The first repository applied (the premise) by the CLI's entry in this process.
          const setUp = await runCliInProcess(['apply', 'audiences', '--state', state, '--auto-approve'], {
            cwd: a.repo,
            env,
          });
          expect(setUp.code).toBe(0);
          const planned = await plan(b.repo);
          expect(planned.code, planned.stderr).toBe(0);
          expect(planned.stdout).not.toContain('apply would refuse');
          const first = await apply(b.repo);
          expect(first.code, first.stderr).toBe(0);
          expect(first.stderr).not.toContain('refusing');
          expect(audienceNames(emulator)).toEqual(['Audience a1', 'Audience b1']);

          // Each then adds one, applied after the other's: its own mark is kept beside the other's.
          await writeFile(path.join(a.repo, 'audiences/a2.yaml'), manifestYaml('a2', quiet));
          await a.git('add', 'audiences');
          await a.git('commit', '--quiet', '-m', 'a2');
          const second = await apply(a.repo);
          expect(second.code, second.stderr).toBe(0);
          await writeFile(path.join(b.repo, 'audiences/b2.yaml'), manifestYaml('b2', quiet));
          await b.git('add', 'audiences');
          await b.git('commit', '--quiet', '-m', 'b2');
          const third = await apply(b.repo);
          expect(third.code, third.stderr).toBe(0);
          expect(audienceNames(emulator)).toEqual([
            'Audience a1',
            'Audience a2',
            'Audience b1',
            'Audience b2',
          ]);

          const mark = (await metaOf(state))?.revisions?.prod;
          expect(mark?.repository).toBe('emea/audiences');
          expect(mark?.roots).toEqual([bRoot]);
          expect(mark?.otherRepositories?.map((other) => [other.repository, other.roots])).toEqual([
            ['marketing/emea/audiences', [aRoot]],
          ]);
        }),
      );
    },
  );

  it('a mark without root commits (an earlier release wrote it) still refuses as before', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const a = await repositoryWithRemote(root, 'a', A_URL, ['a1']);
        const b = await repositoryWithRemote(root, 'b', B_URL, ['b1']);
        const state = path.join(root, 'state');
        await mkdir(state);
        const env = emulatorEnv(emulator);
        const apply = (repo: string) =>
          runCli(['apply', 'audiences', '--state', state, '--auto-approve'], { cwd: repo, env });
        // The first repository applied (the premise) by the CLI's entry in this process.
        const setUp = await runCliInProcess(['apply', 'audiences', '--state', state, '--auto-approve'], {
          cwd: a.repo,
          env,
        });
        expect(setUp.code).toBe(0);
        // An earlier release's write of the mark: its fields, without the roots it does not know.
        const metaFile = path.join(state, 'meta.json');
        const meta = JSON.parse(await readFile(metaFile, 'utf8')) as {
          revisions: Record<string, Record<string, unknown>>;
        };
        expect(meta.revisions.prod?.roots).toBeDefined();
        delete meta.revisions.prod?.roots;
        await writeFile(metaFile, JSON.stringify(meta));

        const refused = await apply(b.repo);
        expect(refused.code).toBe(1);
        expect(refused.stderr.replace(/\s+/g, ' ')).toContain(
          "marketing/emea/audiences and this checkout's emea/audiences differ by a prefix: if they are one repository (a mirror's path)",
        );
        expect(audienceNames(emulator)).toEqual(['Audience a1']);
      }),
    );
  });
});
