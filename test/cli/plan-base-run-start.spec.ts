import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { initAndApplyOnEmulator, runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { gitRepository } from '../helpers/work-tree.js';

/**
 * Review 36b, M-5. A pull request changes `ingestion.request` to ask for a run of an audience
 * that never had one (onCreate: false). The Action's comment shows the run starting at the
 * time of the plan (`dataFilterStartTime: 1796431099`, "now": a --base plan assumes each base
 * audience had a successful run that ended as the plan was made); the apply after the merge
 * sends dataFilterStartTime 0, the default for an audience without a successful run: the
 * reviewer approved a differential run of the data from now on, and the apply ingests
 * everything. For an audience with runs, the comment likewise shows "now" where the apply
 * sends the end of its last successful run.
 */
describe("the run a pull request's plan shows", () => {
  it('does not show a dataFilterStartTime the apply after the merge does not send', async () => {
    await withTempDir(async (dir) => {
      const state = path.join(dir, 'state');
      const { repo, git } = await gitRepository(dir, {
        'audiences/gold.yaml': manifestYaml('gold', { ingestion: { onCreate: false } }),
      });
      const manifests = path.join(repo, 'audiences');
      const applied = await initAndApplyOnEmulator(manifests, state);
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);

      await git('checkout', '--quiet', '-b', 'pr');
      await writeFile(
        path.join(manifests, 'gold.yaml'),
        manifestYaml('gold', { ingestion: { onCreate: false, request: 'backfill-1' } }),
      );
      await git('commit', '--quiet', '-am', 'gold: ask for a run');

      // The apply after the merge: the run of everything, no successful run yet (the reference, in
      // this process).
      const after = await runCliInProcess(['plan', manifests, '--state', state]);
      expect(after.code, after.stderr).toBe(0);
      expect(after.stdout).toContain(
        '  > prod/gold run: ingestion.request changed to "backfill-1"  (gold.yaml:1)\n        dataFilterStartTime: 0\n',
      );

      // The Action's comment.
      const pr = await runCli(['plan', '.', '--base', 'main', '--output', 'markdown'], { cwd: manifests });
      expect(pr.code, pr.stderr).toBe(0);
      expect(pr.stdout).toContain('> run: ingestion.request changed to "backfill-1"');
      expect(pr.stdout).not.toMatch(/dataFilterStartTime: [1-9]/);
      expect(pr.stdout).toContain(
        "dataFilterStartTime: the end of the audience's last successful run, read at the apply (0 if it has none)",
      );
      const json = await runCli(['plan', '.', '--base', 'main', '--output', 'json'], { cwd: manifests });
      expect(json.code, json.stderr).toBe(0);
      const runs = (JSON.parse(json.stdout) as { steps: { kind: string; run?: unknown }[] }).steps
        .filter((s) => s.kind === 'run')
        .map((s) => s.run);
      expect(runs).toEqual([{ reason: 'request:backfill-1', dataFilterStartTime: 0, fromLastSuccess: true }]);

      // A start the manifest sets is known: shown as it is.
      await writeFile(
        path.join(manifests, 'gold.yaml'),
        manifestYaml('gold', {
          ingestion: { onCreate: false, request: 'backfill-1', dataFilterStartTime: 1_700_000_000 },
        }),
      );
      await git('commit', '--quiet', '-am', 'gold: from a given time');
      const given = await runCli(['plan', '.', '--base', 'main'], { cwd: manifests });
      expect(given.stdout).toContain('        dataFilterStartTime: 1700000000\n');
    });
  });
});
