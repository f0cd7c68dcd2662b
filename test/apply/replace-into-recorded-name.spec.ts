import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { withApplyStory } from '../helpers/apply-story.js';
import { writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';

// review-36c H-2: a replace to a spec.name that the state records for another audience of the
// same sandbox (its manifest outside this apply's --include, or in another directory sharing the
// store). The plan showed "1 to replace, 0 blocked"; the apply DELETEd the audience, then its
// create was refused 409 and blocked. Now the plan blocks it, naming the record, before any DELETE.
// Against the emulator over HTTP; the applies run the CLI's entry in this process (cli-in-process.ts).
const noRun = { ingestion: { onCreate: false } };

describe('a replace to a name another record of the store holds', () => {
  it('deletes nothing: the replace is blocked at plan time', async () => {
    await withApplyStory(async ({ emulator, dir, applyCli, applyInProcess }) => {
      await writeFiles(dir.dir, {
        'team-a/silver.yaml': manifestYaml('silver', { ...noRun, spec: { name: 'Silver' } }),
        'team-b/gold.yaml': manifestYaml('gold', { ...noRun, spec: { name: 'Gold' } }),
      });
      expect((await applyInProcess()).code).toBe(0);

      await writeFiles(dir.dir, {
        'team-a/silver.yaml': manifestYaml('silver', {
          ...noRun,
          metadata: { allowReplace: true },
          spec: { name: 'Gold' },
        }),
      });
      const scoped = await applyCli('--include', 'team-a/**');
      expect(scoped.code).toBe(3);
      expect(scoped.stdout).toContain('the name "Gold" is held by prod/gold of this state store');
      expect(scoped.stdout).toContain('manifest team-b/gold.yaml');
      expect(scoped.stdout).toContain('so nothing is deleted');
      expect(scoped.stdout).toContain('Apply: 0 applied, 0 run(s) still running, 0 failed, 1 blocked');

      const names = emulator.control
        .listAudiences(DEMO_CLIENT.orgId, 'prod')
        .map((a) => a.audienceName)
        .sort();
      expect(names).toEqual(['Gold', 'Silver']);
    });
  });

  it("two directories sharing one store: the replace in one to the other's name deletes nothing", async () => {
    await withApplyStory(async ({ emulator, tmp, state, env }) => {
      const a = path.join(tmp, 'a');
      const b = path.join(tmp, 'b');
      await writeFiles(tmp, {
        'b/gold.yaml': manifestYaml('gold', { ...noRun, spec: { name: 'Gold' } }),
        'a/silver.yaml': manifestYaml('silver', { ...noRun, spec: { name: 'Silver' } }),
      });
      expect((await runCliInProcess(['apply', b, '--state', state, '--auto-approve'], { env })).code).toBe(0);
      expect((await runCliInProcess(['apply', a, '--state', state, '--auto-approve'], { env })).code).toBe(0);

      await writeFiles(a, {
        'silver.yaml': manifestYaml('silver', {
          ...noRun,
          metadata: { allowReplace: true },
          spec: { name: 'Gold' },
        }),
      });
      const renamed = await runCliInProcess(['apply', a, '--state', state, '--auto-approve'], { env });
      expect(renamed.code).toBe(3);
      expect(renamed.stdout).toContain('the name "Gold" is held by prod/gold of this state store');

      const names = emulator.control
        .listAudiences(DEMO_CLIENT.orgId, 'prod')
        .map((audience) => audience.audienceName)
        .sort();
      expect(names).toEqual(['Gold', 'Silver']);
    });
  });
});
