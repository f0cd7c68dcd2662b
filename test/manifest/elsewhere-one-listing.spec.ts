import fs from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTempDir } from '../helpers/cli.js';
import { appliedFromM, quiet } from '../helpers/held-elsewhere-env.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * The folders under `dir` that `run` lists (fs.readdirSync, what the plan's walk calls), each
 * with how many times, `/`-separated from `dir` ('.' for itself).
 */
async function listings<T>(
  dir: string,
  run: () => Promise<T>,
): Promise<{ result: T; listed: Record<string, number> }> {
  const listed: Record<string, number> = {};
  const original = fs.readdirSync;
  const recording = ((target: fs.PathLike, ...rest: unknown[]) => {
    const relative = path.relative(dir, path.resolve(String(target)));
    if (!relative.startsWith('..') && !path.isAbsolute(relative)) {
      const name = relative === '' ? '.' : relative.split(path.sep).join('/');
      listed[name] = (listed[name] ?? 0) + 1;
    }
    return (original as (...args: unknown[]) => unknown)(target, ...rest);
  }) as typeof fs.readdirSync;
  fs.readdirSync = recording;
  syncBuiltinESMExports();
  try {
    return { result: await run(), listed };
  } finally {
    fs.readdirSync = original;
    syncBuiltinESMExports();
  }
}

describe('a plan with removals lists the directory given once', () => {
  it("the files the default selection leaves out (held not-selected) come from the plan's own listing", async () => {
    await withEmulator({ operationDelayMs: 5, runStageDelayMs: 5 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const run = await appliedFromM(emulator, tmp, {
          'a.yaml': quiet('a'),
          'b.yaml': quiet('b'),
          'c.yaml': quiet('c'),
          'e.yaml': quiet('e'),
          'sub/d.yaml': quiet('d'),
        });
        const m = path.join(tmp, 'm');
        await mkdir(path.join(m, '.archive'));
        await rename(path.join(m, 'c.yaml'), path.join(m, '.archive/c.yaml'));
        await rm(path.join(m, 'e.yaml'));

        const { result, listed } = await listings(m, () => run(['plan', 'm']));
        expect(result.stderr).not.toMatch(/Error/);
        expect(result.code).toBe(0);
        expect(result.stdout).toContain('- prod/e delete: manifest removed');
        expect(result.stdout).not.toContain('prod/c delete');
        expect(result.stdout).toContain('prod/c');
        expect(result.stdout).toContain('.archive/c.yaml');
        expect(listed).toEqual({ '.': 1, '.archive': 1, sub: 1 });
      });
    });
  });

  it("the files --exclude leaves out (held out-of-scope) come from the plan's own listing", async () => {
    await withEmulator({ operationDelayMs: 5, runStageDelayMs: 5 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const run = await appliedFromM(emulator, tmp, {
          'a.yaml': quiet('a'),
          'e.yaml': quiet('e'),
          'sub/d.yaml': quiet('d'),
        });
        const m = path.join(tmp, 'm');
        await mkdir(path.join(m, 'sub/old'));
        await rename(path.join(m, 'sub/d.yaml'), path.join(m, 'sub/old/d.yaml'));
        await rm(path.join(m, 'e.yaml'));

        const { result, listed } = await listings(m, () => run(['plan', 'm', '--exclude', 'sub/old/**']));
        expect(result.stderr).not.toMatch(/Error/);
        expect(result.code).toBe(0);
        expect(result.stdout).toContain('- prod/e delete: manifest removed');
        expect(result.stdout).not.toContain('prod/d delete');
        expect(result.stdout).toContain('sub/old/d.yaml');
        expect(listed).toEqual({ '.': 1, sub: 1, 'sub/old': 1 });
      });
    });
  });
});
