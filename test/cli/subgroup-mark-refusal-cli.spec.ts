import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { audienceNames, gitIn, repositoryWithRemote } from '../helpers/work-tree.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * A sandbox's mark of a repository whose path differs from the plan's by a prefix
 * (marketing/emea/audiences and emea/audiences) and whose history is the plan's own (the same
 * root commit: a mirror's path, or a fork in another group), applied from a commit this checkout
 * lacks. The refusal said only "sandbox prod was last applied from commit 512547f ... which this
 * checkout's HEAD does not contain ... Pull or fetch the newer commit and apply from it": no pull
 * ever brings another repository's commit, and nothing named it. The refusal (and the plan's
 * warning) now names the repository the mark is of, that its path differs from this one's by a
 * prefix, and the way out of each reading (review scope-43, M-2). Two repositories of their own
 * histories are told apart by their roots (subgroup-mark-own-cli.spec.ts): no refusal.
 */
const quiet = { ingestion: { onCreate: false } };

describe("a sandbox marked by a repository whose path ends with this one's", () => {
  it('refuses naming that repository and the way out of each reading', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const a = await repositoryWithRemote(root, 'a', 'https://gitlab.com/marketing/emea/audiences.git', [
          'a1',
        ]);
        // b: a clone of a's first commit, named emea/audiences, then b1 added.
        const b = { repo: path.join(root, 'b'), git: gitIn(path.join(root, 'b')) };
        await gitIn(root)('clone', '--quiet', a.repo, b.repo);
        await b.git('remote', 'set-url', 'origin', 'git@gitlab.com:emea/audiences.git');
        await writeFile(path.join(b.repo, 'audiences/b1.yaml'), manifestYaml('b1', quiet));
        await b.git('add', 'audiences');
        await b.git('commit', '--quiet', '-m', 'b1');
        // a's newer commit, applied: the mark b's history lacks.
        await writeFile(path.join(a.repo, 'audiences/a2.yaml'), manifestYaml('a2', quiet));
        await a.git('add', 'audiences');
        await a.git('commit', '--quiet', '-m', 'a2');
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(a.repo, 'audiences'), state, env)).code).toBe(0);

        const planned = await runCli(['plan', 'audiences', '--state', state], { cwd: b.repo, env });
        expect(planned.code, planned.stderr).toBe(0);
        const warning = planned.stdout.replace(/\s+/g, ' ');
        expect(warning).toMatch(
          /Warning: apply would refuse this plan: prod\/b1 would be created again; sandbox prod was last applied from commit [0-9a-f]{7} of marketing\/emea\/audiences \(committed [^)]+\), which this checkout's HEAD [0-9a-f]{7} \(committed [^)]+\) does not contain\./,
        );
        expect(warning).toContain(
          "marketing/emea/audiences and this checkout's emea/audiences differ by a prefix: if they are one repository (a mirror's path), pull or fetch the newer commit and plan from it; if they are two (another group's repository of the same name, GitLab subgroups, sharing the store), apply with --allow-older-checkout, which deletes none of marketing/emea/audiences's audiences (their removals are held)",
        );
        expect(warning).not.toContain('Pull or fetch the newer commit');

        const applied = await apply(path.join(b.repo, 'audiences'), state, env);
        expect(applied.code).toBe(1);
        const refusal = applied.stderr.replace(/\s+/g, ' ');
        expect(refusal).toMatch(
          /refusing to undo a newer apply: prod\/b1 would be created again; sandbox prod was last applied from commit [0-9a-f]{7} of marketing\/emea\/audiences \(committed [^)]+\), which this checkout's HEAD [0-9a-f]{7} \(committed [^)]+\) does not contain\. Nothing was applied\./,
        );
        expect(refusal).toContain(
          "marketing/emea/audiences and this checkout's emea/audiences differ by a prefix: if they are one repository (a mirror's path), pull or fetch the newer commit and apply from it; if they are two (another group's repository of the same name, GitLab subgroups, sharing the store), pass --allow-older-checkout to apply anyway, which deletes none of marketing/emea/audiences's audiences (their removals are held)",
        );
        expect(refusal).not.toContain('Pull or fetch the newer commit');
        expect(audienceNames(emulator)).toEqual(['Audience a1', 'Audience a2']);
      }),
    );
  });
});
