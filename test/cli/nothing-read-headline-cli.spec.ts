import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv, ensureDirStore } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

// review-36a M: `plan` given a directory that holds no manifest (the wrong folder: a Helm
// chart's, in a CI job that plans against the shared state) while the store records
// audiences heads its output "No changes. The audiences match the manifests." and exits 0
// (also with --detailed-exitcode). Nothing was compared: every recorded audience is only
// "Held (left alone)". README promises, for filters that select nothing, a plan "never [says]
// that the audiences match the manifests"; a directory of no manifest is the same typo.

describe('a plan of a directory that holds no manifest', () => {
  it('does not say the audiences match the manifests', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (dir) => {
        await writeFiles(dir, {
          'audiences/gold.yaml': manifestYaml('gold', { ingestion: { onCreate: false } }),
          'audiences/silver.yaml': manifestYaml('silver', { ingestion: { onCreate: false } }),
          'chart/Chart.yaml': 'apiVersion: v2\nname: audiences\nversion: 0.1.0\n',
        });
        const state = path.join(dir, 'state');
        await ensureDirStore(state);
        const env = emulatorEnv(emulator);
        // gold and silver applied is the premise: the CLI's entry in this process
        // (cli-in-process.ts); the plans the case reads spawn the built CLI.
        const applied = await runCliInProcess(['apply', 'audiences', '--state', state, '--auto-approve'], {
          cwd: dir,
          env,
        });
        expect(applied.code).toBe(0);

        const result = await runCli(['plan', 'chart', '--state', state, '--detailed-exitcode'], {
          cwd: dir,
          env,
        });
        expect(result.stdout).toContain('Held (left alone): 2');
        expect(result.stdout).not.toContain('The audiences match the manifests.');
        // Says what happened instead; no step and no error, so the exit codes stay as documented.
        expect(result.stdout.split('\n')[0]).toBe(
          'No changes planned, but 2 recorded audiences are held (left alone), not compared with any manifest read here (see "Held").',
        );
        expect(result.code).toBe(0);

        const markdown = await runCli(['plan', 'chart', '--state', state, '--output', 'markdown'], {
          cwd: dir,
          env,
        });
        expect(markdown.stdout).toContain(
          '**No changes planned,** but 2 recorded audiences are held (left alone), not compared with any manifest read here (see "Held").',
        );
        expect(markdown.stdout).not.toContain('match the manifests');

        // The JSON plan is unchanged: no step, both held.
        const json = await runCli(['plan', 'chart', '--state', state, '--output', 'json'], { cwd: dir, env });
        const parsed = JSON.parse(json.stdout) as { steps: unknown[]; held: Array<{ key: string }> };
        expect([parsed.steps, parsed.held.map((h) => h.key)]).toEqual([[], ['gold', 'silver']]);

        const apply = await runCli(['apply', 'chart', '--state', state, '--auto-approve'], { cwd: dir, env });
        expect(apply.stdout).not.toContain('match the manifests');
        expect(apply.code).toBe(0);
      });
    });
  });
});
