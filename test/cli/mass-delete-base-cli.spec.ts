import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliBench } from '../helpers/cli-bench.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames, gitRepository } from '../helpers/work-tree.js';

const range = (count: number) => Array.from({ length: count }, (_, index) => index + 1);

/**
 * Review 32, M-3. The default --max-deletes is the larger of 5 and 10% of the audiences the plan
 * could remove: not those it holds and leaves alone (another team's directory of the same
 * repository sharing the store). A team of 10 audiences removing 6 of them is a mass deletion
 * (5 allowed) whether or not a directory of 42 more audiences shares its store (with them
 * counted, the limit would be 6 and the deletions would go through unguarded).
 * The built CLI, real git, the emulator over HTTP.
 */
describe('the default --max-deletes of a plan of one directory of a shared store', () => {
  it('is not raised by the audiences of another directory the plan leaves alone', async () => {
    await cliBench(async ({ tmp, cli, setUp, emulator }) => {
      const fast = path.join(tmp, 'fast.yaml');
      await writeFile(fast, 'budget: { requests: 500, intervalMs: 1000, concurrency: 16 }\n');
      const files: Record<string, string> = {};
      for (const i of range(42)) files[`teams/big/big${i}.yaml`] = manifestYaml(`big${i}`);
      for (const i of range(10)) files[`teams/small/small${i}.yaml`] = manifestYaml(`small${i}`);
      const { repo, git } = await gitRepository(tmp, files);
      for (const dir of ['teams/big', 'teams/small']) {
        const applied = await setUp('apply', path.join(repo, dir), '--auto-approve', '--config', fast);
        expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      }
      expect(audienceNames(emulator)).toHaveLength(52);

      await git('rm', '--quiet', ...range(6).map((i) => `teams/small/small${i}.yaml`));
      await git('commit', '--quiet', '-m', 'remove six of the ten small audiences');
      const applied = await cli('apply', path.join(repo, 'teams/small'), '--auto-approve', '--config', fast);
      expect(applied.stdout).not.toContain('ok       prod/small1 delete');
      expect(audienceNames(emulator)).toHaveLength(52);
      expect(applied.code).toBe(3);
    });
  });
});
