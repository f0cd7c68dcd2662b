import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { initAndApplyOnEmulator, runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { gitRepository } from '../helpers/work-tree.js';

const DAY_MS = 86_400_000;

/**
 * Review 36b, M-4. A pull request adds a schedule (`ingestion.every: 24h`) to an audience
 * applied days ago. The Action's comment says "No changes. The audiences match the
 * manifests." (exit code 0), because a --base plan assumes every base audience was applied,
 * with a successful run, at the moment of the plan. The apply after the merge starts a run at
 * once (its last run, or its creation, is older than the period): with `every` added to many
 * audiences, a share of the sandbox's 100 runs a day that no reviewer saw.
 */
describe('a pull request that adds ingestion.every to an audience applied days ago', () => {
  it('shows the periodic run the apply after the merge starts', async () => {
    await withTempDir(async (dir) => {
      const state = path.join(dir, 'state');
      const { repo, git } = await gitRepository(dir, {
        'audiences/gold.yaml': manifestYaml('gold', { ingestion: { onCreate: false } }),
      });
      const manifests = path.join(repo, 'audiences');
      const applied = await initAndApplyOnEmulator(manifests, state);
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      // Applied three days ago (the record as that apply would have left it).
      const file = path.join(state, 'audiences', 'prod', 'gold.json');
      const record = JSON.parse(await readFile(file, 'utf8')) as { applied: { at: string }; runs: unknown[] };
      expect(record.runs).toEqual([]);
      record.applied.at = new Date(Date.now() - 3 * DAY_MS).toISOString();
      await writeFile(file, JSON.stringify(record, null, 2));

      await git('checkout', '--quiet', '-b', 'pr');
      await writeFile(
        path.join(manifests, 'gold.yaml'),
        manifestYaml('gold', { ingestion: { onCreate: false, every: '24h' } }),
      );
      await git('commit', '--quiet', '-am', 'gold: every 24h');

      // What the apply after the merge plans, a periodic run now (the reference, in this process).
      const after = await runCliInProcess(['plan', manifests, '--state', state]);
      expect(after.code, after.stderr).toBe(0);
      expect(after.stdout).toContain('> prod/gold run: periodic run (every 24h)');

      // What the Action's comment shows the reviewer.
      const pr = await runCli(
        ['plan', '.', '--base', 'main', '--output', 'markdown', '--detailed-exitcode'],
        {
          cwd: manifests,
        },
      );
      expect(pr.stdout).not.toContain('**No changes.**');
      expect(pr.code).toBe(2);
      expect(pr.stdout).toContain(
        'periodic run (every 24h): ingestion.every added; this plan does not know when the audience last ran, so the apply may start it at once (if 24h has passed since its last run, or since it was applied)',
      );

      // Shortened (7d to 1h) likewise; lengthened (7d to 30d), nothing new is due: no changes.
      await git('checkout', '--quiet', 'main');
      await writeFile(
        path.join(manifests, 'gold.yaml'),
        manifestYaml('gold', { ingestion: { onCreate: false, every: '7d' } }),
      );
      await git('commit', '--quiet', '-am', 'gold: every 7d');
      for (const [every, code] of [
        ['1h', 2],
        ['30d', 0],
      ] as const) {
        await git('checkout', '--quiet', '-B', `pr-${every}`);
        await writeFile(
          path.join(manifests, 'gold.yaml'),
          manifestYaml('gold', { ingestion: { onCreate: false, every } }),
        );
        await git('commit', '--quiet', '-am', `gold: every ${every}`);
        const changed = await runCli(['plan', '.', '--base', 'main', '--detailed-exitcode'], {
          cwd: manifests,
        });
        expect(changed.code, changed.stderr).toBe(code);
        if (code === 2)
          expect(changed.stdout).toContain('periodic run (every 1h): ingestion.every shortened from 7d;');
        await git('checkout', '--quiet', 'main');
      }
    });
  });
});
