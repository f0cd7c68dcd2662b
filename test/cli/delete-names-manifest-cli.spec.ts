import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appliedRepository, cliBench } from '../helpers/cli-bench.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';

/**
 * A planned delete (or forget) of a removed manifest says which manifest was removed, in the
 * text plan, the JSON written with --out (what `apply plan.json` runs and a reviewer reads) and
 * the Markdown of the pull-request comment, as every other step names its file. Before, each
 * said only `delete: manifest removed`: with the diff folded away, nothing in the comment told
 * which file a reviewer was approving the removal of. Real git, the CLI's entry in this process,
 * the emulator over HTTP.
 */
const quiet = { ingestion: { onCreate: false } };

type JsonPlan = { steps: { id: string; kind: string; reason: string }[] };

describe('a planned removal names the manifest removed', () => {
  it('in the text plan, the --out JSON and the Markdown, with state and with --base', async () => {
    await cliBench(async (b) => {
      const { repo, git } = await appliedRepository(
        b,
        {
          'aud/loyalty/gold.yaml': manifestYaml('gold', quiet),
          'aud/tin.yaml': manifestYaml('tin', { ...quiet, metadata: { deletionPolicy: 'Orphan' } }),
          'aud/silver.yaml': manifestYaml('silver', quiet),
        },
        ['aud'],
      );
      await git('rm', '--quiet', 'aud/loyalty/gold.yaml', 'aud/tin.yaml');
      await git('commit', '--quiet', '-m', 'gold and tin removed');
      const aud = path.join(repo, 'aud');

      const text = await b.setUp('plan', aud);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain('  - prod/gold delete: manifest removed (loyalty/gold.yaml)\n');
      expect(text.stdout).toContain(
        '  - prod/tin forget: manifest removed (tin.yaml); deletionPolicy Orphan keeps the remote audience\n',
      );

      const out = path.join(b.tmp, 'plan.json');
      expect((await b.setUp('plan', aud, '--output', 'json', '--out', out)).code).toBe(0);
      const saved = JSON.parse(await readFile(out, 'utf8')) as JsonPlan;
      expect(saved.steps.map((s) => `${s.id}: ${s.reason}`)).toEqual([
        'prod/gold:delete: manifest removed (loyalty/gold.yaml)',
        'prod/tin:forget: manifest removed (tin.yaml); deletionPolicy Orphan keeps the remote audience',
      ]);

      const markdown = await b.setUp('plan', aud, '--output', 'markdown');
      expect(markdown.stdout).toContain('```diff\n- delete: manifest removed (loyalty/gold.yaml)\n```');

      // The pull request's plan (no state): the same words, of the base's manifests.
      const base = await runCliInProcess(['plan', 'aud', '--base', 'HEAD~1', '--output', 'json'], {
        cwd: repo,
      });
      expect(base.code, base.stderr).toBe(0);
      const pr = JSON.parse(base.stdout) as JsonPlan;
      expect(pr.steps.map((s) => `${s.id}: ${s.reason}`)).toEqual([
        'prod/gold:delete: manifest removed (loyalty/gold.yaml)',
        'prod/tin:forget: manifest removed (tin.yaml); deletionPolicy Orphan keeps the remote audience',
      ]);
    });
  });
});
