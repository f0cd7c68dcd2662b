import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { withTempDir, writeFiles } from '../helpers/cli.js';
import { pausedCli } from '../helpers/paused-cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';

// `plan --out` stopped while it writes its temporary file beside the target: SIGINT and
// SIGTERM remove it (the process still dies of the signal); SIGKILL cannot, and the next
// `plan --out` to the same file removes what it left. The built CLI runs with a preload that
// stops it half-way through the write (fixtures/out-write-pause.mjs), so each kill lands
// mid-write.

const PRELOAD = fileURLToPath(new URL('./fixtures/out-write-pause.mjs', import.meta.url));
const META = '{"schemaVersion":1,"lineage":"5f0c2f9e-1d7e-4d4e-9a55-6f1c0c3b2a10","serial":1}\n';
const PREVIOUS = 'the previous plan\n';
const ARGS = ['plan', 'aud', '--state', 'st', '--output', 'json', '--out', 'plan.json'];

async function repo(dir: string): Promise<void> {
  await writeFiles(dir, {
    'aud/gold.yaml': manifestYaml('gold'),
    'aud/silver.yaml': manifestYaml('silver'),
    'st/meta.json': META,
  });
  await writeFile(path.join(dir, 'plan.json'), PREVIOUS);
}

type Paused = { temp: string; written: number; total: number };

/** `plan --out plan.json` in `dir`, stopped half-way through writing its temporary file. */
function pausedPlan(dir: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', AUDIENCECTL_MANIFEST_CACHE: 'off' };
  delete env.AEP_SANDBOX;
  const plan = pausedCli(PRELOAD, ARGS, { cwd: dir, env });
  const paused = plan.paused.then((text): Paused => {
    const line = /^paused (\S+) (\d+) (\d+)$/.exec(text);
    if (!line) throw new Error(`not a pause of the write: ${text}`);
    return { temp: line[1]!, written: Number(line[2]), total: Number(line[3]) };
  });
  return { paused, stop: plan.stop };
}

/** The kill lands mid-write: the temporary file holds half the plan, the target is untouched. */
async function expectMidWrite(dir: string, paused: Paused): Promise<void> {
  expect(path.dirname(path.resolve(dir, paused.temp))).toBe(dir);
  expect(path.basename(paused.temp)).toMatch(/^\.plan\.json\.[0-9a-f]{8}\.\d+\.[0-9a-f]{8}\.tmp$/);
  expect(paused.written).toBeGreaterThan(0);
  expect(paused.written).toBeLessThan(paused.total);
  expect((await readFile(path.resolve(dir, paused.temp))).length).toBe(paused.written);
  expect(await readFile(path.join(dir, 'plan.json'), 'utf8')).toBe(PREVIOUS);
}

describe('plan --out stopped mid-write', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s: dies of it, its temporary file removed, the previous file whole',
    async (signal) => {
      await withTempDir(async (dir) => {
        await repo(dir);
        const plan = pausedPlan(dir);
        await expectMidWrite(dir, await plan.paused);
        const stopped = await plan.stop(signal);
        expect([stopped.code, stopped.signal]).toEqual([null, signal]);
        expect((await readdir(dir)).sort()).toEqual(['aud', 'plan.json', 'st']);
        expect(await readFile(path.join(dir, 'plan.json'), 'utf8')).toBe(PREVIOUS);
      });
    },
  );

  it('SIGKILL leaves the half-written temporary file; the next plan --out to that file removes it', async () => {
    await withTempDir(async (dir) => {
      await repo(dir);
      const plan = pausedPlan(dir);
      const paused = await plan.paused;
      await expectMidWrite(dir, paused);
      const stopped = await plan.stop('SIGKILL');
      expect([stopped.code, stopped.signal]).toEqual([null, 'SIGKILL']);
      const left = path.basename(paused.temp);
      expect((await readdir(dir)).sort()).toEqual([left, 'aud', 'plan.json', 'st'].sort());

      const next = await runCliInProcess(ARGS, { cwd: dir, env: { AUDIENCECTL_MANIFEST_CACHE: 'off' } });
      expect([next.code, next.stdout]).toEqual([0, '']);
      expect((await readdir(dir)).sort()).toEqual(['aud', 'plan.json', 'st']);
      const written = await readFile(path.join(dir, 'plan.json'));
      expect(written.length).toBe(paused.total);
      expect(JSON.parse(written.toString())).toHaveProperty('steps');
    });
  });
});
