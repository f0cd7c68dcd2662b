import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { emulatorEnv } from './apply-env.js';
import type { CliBench } from './cli-bench.js';
import { runCli, withTempDir } from './cli.js';
import { manifestYaml } from './manifests.js';
import { withEmulator } from './with-emulator.js';

/** The CLI's environment (the emulator's, sandbox prod) and working directory. */
export type SavedPlanOptions = { env: Record<string, string | undefined>; cwd: string };

/**
 * In a directory of its own, against an emulator: `init` of each store in `init`, then
 * `plan aud --out plan.json` of one new audience (gold, no run) against `store`, checked to
 * hold its create; `then` goes on there (`apply plan.json` with `options`). `env` is added to
 * every run's environment.
 */
export async function withSavedPlan<T>(
  store: string,
  then: (emulator: RunningEmulator, options: SavedPlanOptions) => Promise<T>,
  { init = [], env = {} }: { init?: string[]; env?: Record<string, string> } = {},
): Promise<T> {
  return withEmulator({ operationDelayMs: 5, runStageDelayMs: 5 }, (emulator) =>
    withTempDir(async (tmp) => {
      const options = { env: emulatorEnv(emulator, { AEP_SANDBOX: 'prod', ...env }), cwd: tmp };
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

/**
 * In a cliBench: gold (no run) applied from tmp/aud, then its description edited and
 * `plan aud --output json --out p.json` saved, a plan of one update. Returns p.json's text.
 */
export async function savedUpdatePlan({ tmp, setUp }: Pick<CliBench, 'tmp' | 'setUp'>): Promise<string> {
  const aud = path.join(tmp, 'aud');
  await mkdir(aud);
  await writeFile(path.join(aud, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
  const applied = await setUp('apply', aud, '--auto-approve');
  expect(applied.code, applied.stdout + applied.stderr).toBe(0);
  await writeFile(
    path.join(aud, 'gold.yaml'),
    manifestYaml('gold', { ingestion: { onCreate: false }, spec: { description: 'edited' } }),
  );
  const saved = await setUp('plan', aud, '--output', 'json', '--out', 'p.json');
  expect(saved.code, saved.stderr).toBe(0);
  return readFile(path.join(tmp, 'p.json'), 'utf8');
}

/**
 * For each case, the saved plan `text` changed by `change`, written as tmp/`name`: the built
 * `apply name --auto-approve` writes `stderr` alone and exits 1. No request reaches the emulator.
 */
export async function expectSavedPlansRefused<P>(
  { emulator, tmp, cli }: Pick<CliBench, 'emulator' | 'tmp' | 'cli'>,
  text: string,
  cases: Array<[name: string, change: (plan: P) => void, stderr: string]>,
): Promise<void> {
  emulator.control.resetCounters();
  for (const [name, change, stderr] of cases) {
    const plan = JSON.parse(text) as P;
    change(plan);
    await writeFile(path.join(tmp, name), JSON.stringify(plan, null, 2));
    const refused = await cli('apply', name, '--auto-approve');
    expect(refused.stderr, name).toBe(stderr);
    expect(refused.stdout, name).toBe('');
    expect(refused.code, name).toBe(1);
  }
  expect(emulator.control.counters().requests).toBe(0);
}
