import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appliedRepository, cliBench, type CliBench } from '../helpers/cli-bench.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames, storedRecord } from '../helpers/work-tree.js';

/**
 * A planned delete (or forget) of a removed manifest says which manifest was removed, in the
 * text plan, the JSON written with --out (what `apply plan.json` runs and a reviewer reads) and
 * the Markdown of the pull-request comment, as every other step names its file; and, where git
 * shows this work tree removing it, the commit that did (or that the removal is not committed
 * yet). Before, each said only `delete: manifest removed`: with the diff folded away, nothing in
 * the comment told which file a reviewer was approving the removal of, nor which change removed
 * it. Real git, the CLI's entry in this process, the emulator over HTTP.
 */
const quiet = { ingestion: { onCreate: false } };

type JsonPlan = {
  steps: { id: string; key: string; kind: string; reason: string; audienceId?: string }[];
};

/**
 * A repository of `files` with aud/ applied (appliedRepository), then `removed` removed in one
 * commit (`message`): aud/'s path, and that commit as git names it, not as the code under test
 * does.
 */
async function removedInACommit(
  b: CliBench,
  files: Record<string, string>,
  removed: readonly string[],
  message: string,
) {
  const { repo, git } = await appliedRepository(b, files, ['aud']);
  await git('rm', '--quiet', ...removed);
  await git('commit', '--quiet', '-m', message);
  const removedBy = (await git('rev-parse', '--short=7', 'HEAD')).stdout.trim();
  return { repo, git, aud: path.join(repo, 'aud'), removedBy };
}

describe('a planned removal names the manifest removed', () => {
  it('in the text plan, the --out JSON and the Markdown, with state and with --base', async () => {
    await cliBench(async (b) => {
      const { repo, aud, removedBy } = await removedInACommit(
        b,
        {
          'aud/loyalty/gold.yaml': manifestYaml('gold', quiet),
          'aud/tin.yaml': manifestYaml('tin', { ...quiet, metadata: { deletionPolicy: 'Orphan' } }),
          'aud/silver.yaml': manifestYaml('silver', quiet),
        },
        ['aud/loyalty/gold.yaml', 'aud/tin.yaml'],
        'gold and tin removed',
      );

      const text = await b.setUp('plan', aud);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain(
        `  - prod/gold delete: manifest removed (loyalty/gold.yaml, in commit ${removedBy})\n`,
      );
      expect(text.stdout).toContain(
        `  - prod/tin forget: manifest removed (tin.yaml, in commit ${removedBy}); deletionPolicy Orphan keeps the remote audience\n`,
      );

      const out = path.join(b.tmp, 'plan.json');
      expect((await b.setUp('plan', aud, '--output', 'json', '--out', out)).code).toBe(0);
      const saved = JSON.parse(await readFile(out, 'utf8')) as JsonPlan;
      expect(saved.steps.map((s) => `${s.id}: ${s.reason}`)).toEqual([
        `prod/gold:delete: manifest removed (loyalty/gold.yaml, in commit ${removedBy})`,
        `prod/tin:forget: manifest removed (tin.yaml, in commit ${removedBy}); deletionPolicy Orphan keeps the remote audience`,
      ]);

      const markdown = await b.setUp('plan', aud, '--output', 'markdown');
      expect(markdown.stdout).toContain(
        `\`\`\`diff\n- delete: manifest removed (loyalty/gold.yaml, in commit ${removedBy})\n\`\`\``,
      );

      // The pull request's plan (no state): the same words, of the base's manifests, and the commit
      // since the base that removed them.
      const base = await runCliInProcess(['plan', 'aud', '--base', 'HEAD~1', '--output', 'json'], {
        cwd: repo,
      });
      expect(base.code, base.stderr).toBe(0);
      const pr = JSON.parse(base.stdout) as JsonPlan;
      expect(pr.steps.map((s) => `${s.id}: ${s.reason}`)).toEqual([
        `prod/gold:delete: manifest removed (loyalty/gold.yaml, in commit ${removedBy})`,
        `prod/tin:forget: manifest removed (tin.yaml, in commit ${removedBy}); deletionPolicy Orphan keeps the remote audience`,
      ]);
    });
  });

  it('and, in a git work tree, the commit that removed it, or that the removal is not committed yet', async () => {
    await cliBench(async (b) => {
      const { repo, git, aud, removedBy } = await removedInACommit(
        b,
        {
          'aud/loyalty/gold.yaml': manifestYaml('gold', quiet),
          'aud/silver.yaml': manifestYaml('silver', quiet),
          'aud/tin.yaml': manifestYaml('tin', quiet),
        },
        ['aud/loyalty/gold.yaml'],
        'gold removed',
      );
      await git('commit', '--quiet', '--allow-empty', '-m', 'a later commit');
      await rm(path.join(repo, 'aud', 'silver.yaml'));

      const text = await b.setUp('plan', aud);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain(
        `  - prod/gold delete: manifest removed (loyalty/gold.yaml, in commit ${removedBy})\n`,
      );
      expect(text.stdout).toContain(
        '  - prod/silver delete: manifest removed (silver.yaml, not committed yet)\n',
      );

      const out = path.join(b.tmp, 'plan.json');
      expect((await b.setUp('plan', aud, '--output', 'json', '--out', out)).code).toBe(0);
      const saved = JSON.parse(await readFile(out, 'utf8')) as JsonPlan;
      expect(saved.steps.map((s) => `${s.id}: ${s.reason}`)).toEqual([
        `prod/gold:delete: manifest removed (loyalty/gold.yaml, in commit ${removedBy})`,
        'prod/silver:delete: manifest removed (silver.yaml, not committed yet)',
      ]);
      const markdown = await b.setUp('plan', aud, '--output', 'markdown');
      expect(markdown.stdout).toContain(
        `\`\`\`diff\n- delete: manifest removed (loyalty/gold.yaml, in commit ${removedBy})\n\`\`\``,
      );
    });
  });

  it('a plan saved in git applies where .git is gone, its words aside; a step doing otherwise is refused', async () => {
    await cliBench(async (b) => {
      const { repo, aud, removedBy } = await removedInACommit(
        b,
        {
          'aud/gold.yaml': manifestYaml('gold', quiet),
          'aud/silver.yaml': manifestYaml('silver', quiet),
        },
        ['aud/gold.yaml'],
        'gold removed',
      );
      const out = path.join(b.tmp, 'plan.json');
      const planned = await b.setUp('plan', aud, '--output', 'json', '--out', out);
      expect(planned.code, planned.stderr).toBe(0);
      const text = await readFile(out, 'utf8');
      const saved = JSON.parse(text) as JsonPlan;
      expect(saved.steps.map((s) => `${s.id}: ${s.reason}`)).toEqual([
        `prod/gold:delete: manifest removed (gold.yaml, in commit ${removedBy})`,
      ]);
      const silverId = (await storedRecord(path.join(b.tmp, 'state'), 'silver')).audienceId!;

      // The apply job: the same path unpacked from an artifact, without .git; it plans the removal
      // again without the commit, which only git could tell.
      await rename(path.join(repo, '.git'), path.join(b.tmp, 'git-away'));

      // The same words, doing otherwise: each refused before any call.
      const edits: Array<[string, (step: JsonPlan['steps'][number]) => void, string]> = [
        [
          'another audience',
          (step) => Object.assign(step, { id: 'prod/silver:delete', key: 'silver', audienceId: silverId }),
          'step prod/silver:delete differs',
        ],
        [
          'another action',
          (step) => Object.assign(step, { id: 'prod/gold:forget', kind: 'forget' }),
          'step prod/gold:forget differs',
        ],
        [
          'another audience id',
          (step) => Object.assign(step, { audienceId: silverId }),
          'step prod/gold:delete differs',
        ],
      ];
      for (const [what, edit, refusal] of edits) {
        const edited = JSON.parse(text) as JsonPlan;
        edit(edited.steps[0]!);
        const file = path.join(b.tmp, 'edited.json');
        await writeFile(file, JSON.stringify(edited));
        const refused = await b.cli('apply', file, '--auto-approve');
        expect(refused.code, `${what}: ${refused.stdout}${refused.stderr}`).toBe(1);
        expect(refused.stderr, what).toContain(
          `the plan no longer matches the manifests and state: ${refusal}`,
        );
        expect(audienceNames(b.emulator), what).toEqual(['Audience gold', 'Audience silver']);
      }

      const applied = await b.cli('apply', out, '--auto-approve');
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      expect(applied.stdout).toMatch(/prod\/gold delete: deleted/);
      expect(audienceNames(b.emulator)).toEqual(['Audience silver']);
    });
  });
});
