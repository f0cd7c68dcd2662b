import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { emulatorEnv, ensureDirStore } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

// review-36c H-2: a replace to a spec.name that the state records for another audience of the
// same sandbox (its manifest outside this apply's --include, or in another directory sharing the
// store). The plan showed "1 to replace, 0 blocked"; the apply DELETEd the audience, then its
// create was refused 409 and blocked. Now the plan blocks it, naming the record, before any DELETE.
describe('a replace to a name another record of the store holds', () => {
  it('deletes nothing: the replace is blocked at plan time', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const dir = path.join(tmp, 'm');
        const state = path.join(tmp, 'state');
        await ensureDirStore(state);
        const env = emulatorEnv(emulator);
        const noRun = { ingestion: { onCreate: false } };
        await mkdir(path.join(dir, 'team-a'), { recursive: true });
        await mkdir(path.join(dir, 'team-b'), { recursive: true });
        await writeFile(
          path.join(dir, 'team-a', 'silver.yaml'),
          manifestYaml('silver', { ...noRun, spec: { name: 'Silver' } }),
        );
        await writeFile(
          path.join(dir, 'team-b', 'gold.yaml'),
          manifestYaml('gold', { ...noRun, spec: { name: 'Gold' } }),
        );
        expect((await runCli(['apply', dir, '--state', state, '--auto-approve'], { env })).code).toBe(0);

        await writeFile(
          path.join(dir, 'team-a', 'silver.yaml'),
          manifestYaml('silver', { ...noRun, metadata: { allowReplace: true }, spec: { name: 'Gold' } }),
        );
        const scoped = await runCli(
          ['apply', dir, '--state', state, '--auto-approve', '--include', 'team-a/**'],
          { env },
        );
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
  });

  it("two directories sharing one store: the replace in one to the other's name deletes nothing", async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const a = path.join(tmp, 'a');
        const b = path.join(tmp, 'b');
        const state = path.join(tmp, 'state');
        await ensureDirStore(state);
        const env = emulatorEnv(emulator);
        const noRun = { ingestion: { onCreate: false } };
        await mkdir(a, { recursive: true });
        await mkdir(b, { recursive: true });
        await writeFile(
          path.join(b, 'gold.yaml'),
          manifestYaml('gold', { ...noRun, spec: { name: 'Gold' } }),
        );
        await writeFile(
          path.join(a, 'silver.yaml'),
          manifestYaml('silver', { ...noRun, spec: { name: 'Silver' } }),
        );
        expect((await runCli(['apply', b, '--state', state, '--auto-approve'], { env })).code).toBe(0);
        expect((await runCli(['apply', a, '--state', state, '--auto-approve'], { env })).code).toBe(0);

        await writeFile(
          path.join(a, 'silver.yaml'),
          manifestYaml('silver', { ...noRun, metadata: { allowReplace: true }, spec: { name: 'Gold' } }),
        );
        const renamed = await runCli(['apply', a, '--state', state, '--auto-approve'], { env });
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
});
