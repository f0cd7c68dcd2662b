import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { emulatorEnv } from './apply-env.js';
import { runCli, withTempDir } from './cli.js';
import { manifestYaml } from './manifests.js';
import { withEmulator } from './with-emulator.js';

/** The CLI's environment (the emulator's, sandbox prod) and working directory. */
export type SavedPlanOptions = { env: Record<string, string | undefined>; cwd: string };

/**
 * In a directory of its own, against an emulator: `init` of each store in `init`, then
 * `plan aud --out plan.json` of one new audience (gold, no run) against `store`, checked to
 * hold its create; `then` goes on there (`apply plan.json` with `options`).
 */
export async function withSavedPlan<T>(
  store: string,
  then: (emulator: RunningEmulator, options: SavedPlanOptions) => Promise<T>,
  { init = [] as string[] } = {},
): Promise<T> {
  return withEmulator({ operationDelayMs: 5, runStageDelayMs: 5 }, (emulator) =>
    withTempDir(async (tmp) => {
      const options = { env: emulatorEnv(emulator, { AEP_SANDBOX: 'prod' }), cwd: tmp };
      const aud = path.join(tmp, 'aud');
      await mkdir(aud);
      await writeFile(path.join(aud, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
      for (const each of init) {
        const made = await runCli(['init', '--state', each], options);
        expect(made.code, made.stderr).toBe(0);
      }
      const planned = await runCli(
        ['plan', aud, '--state', store, '--output', 'json', '--out', 'plan.json'],
        options,
      );
      expect(planned.code, planned.stderr).toBe(0);
      const saved = JSON.parse(await readFile(path.join(tmp, 'plan.json'), 'utf8')) as {
        steps: Array<{ kind: string }>;
      };
      expect(saved.steps.map((s) => s.kind)).toEqual(['create']);
      return then(emulator, options);
    }),
  );
}
