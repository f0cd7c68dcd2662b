import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { appliedRepository, cliBench } from '../helpers/cli-bench.js';
import { runCli } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames } from '../helpers/work-tree.js';

/**
 * Review 36b, M-8. A pull request adds a manifest with `metadata.adopt: true` (take over an
 * audience made in the AEP UI). The Action's comment shows `+ create` and `> run: first run
 * after creation` ("1 to create, 1 run(s) to start", exit code 2: the check passes), with the
 * note "the apply looks for an audience to adopt first". README ("Adopting an existing
 * audience") says an adopt manifest is never created: one candidate is adopted (a PATCH, its
 * first run counted as done), none or several block. The apply after the merge blocks it
 * (exit code 3) and creates nothing: the reviewer approved a create and a run that never
 * happen, and the check that passed now fails on main.
 */
describe('a pull request adding a manifest with metadata.adopt: true', () => {
  it('does not show a create and a first run, which the apply of an adopt manifest never makes', async () => {
    await cliBench(async (b) => {
      const { repo, git } = await appliedRepository(b, { 'audiences/gold.yaml': manifestYaml('gold') }, [
        'audiences',
      ]);
      await git('checkout', '--quiet', '-b', 'pr');
      await writeFile(
        path.join(repo, 'audiences/ui.yaml'),
        manifestYaml('ui', { metadata: { adopt: true }, ingestion: { onCreate: true } }),
      );
      await git('add', '--all');
      await git('commit', '--quiet', '-m', 'adopt the UI audience');

      const pr = await runCli(['plan', '.', '--base', 'main', '--output', 'json'], {
        cwd: path.join(repo, 'audiences'),
      });
      expect(pr.code, pr.stderr).toBe(0);
      const shown = (JSON.parse(pr.stdout) as { steps: { id: string; kind: string }[] }).steps
        .filter((s) => s.id.startsWith('prod/ui:'))
        .map((s) => s.kind);

      // The comment shows the adoption, and that the apply blocks it when nothing is found.
      expect(shown).toEqual(['adopt']);
      const md = await runCli(
        ['plan', '.', '--base', 'main', '--output', 'markdown', '--detailed-exitcode'],
        {
          cwd: path.join(repo, 'audiences'),
        },
      );
      expect(md.code, md.stderr).toBe(2);
      expect(md.stdout).toContain('blocks if none or several; it never creates this audience');

      await git('checkout', '--quiet', 'main');
      await git('merge', '--quiet', '--ff-only', 'pr');
      const applied = await b.cli('apply', path.join(repo, 'audiences'), '--auto-approve');
      expect(applied.code, applied.stdout + applied.stderr).toBe(3);
      expect(applied.stdout).toContain('blocked  prod/ui adopt: no audience named "Audience ui"');
      expect(audienceNames(b.emulator)).toEqual(['Audience gold']);

      // The comment showed [ 'create', 'run' ].
      expect(shown.filter((kind) => kind === 'create' || kind === 'run')).toEqual([]);
    });
  });
});
