import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockPath } from '../../src/state/paths.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * A standard output that fails other than by closing (a full disk: /dev/full answers every write
 * with ENOSPC) loses what the command prints: one line says so, the exit is non-zero, no stack
 * trace; an apply stops as an interrupt stops it (review 30, L-1: Node's trace, and an apply
 * killed with its lock held).
 */
const FULL = 'exec >/dev/full';
const LOST = 'Error: the standard output cannot be written: ENOSPC: no space left on device, write\n';

describe('a standard output that cannot be written', () => {
  it('validate and plan --output json: one line, exit 1', async () => {
    await withTempDir(async (root) => {
      await writeFiles(path.join(root, 'm'), { 'gold.yaml': manifestYaml('gold') });
      await mkdir(path.join(root, 'state'));
      const validated = await runCli(['validate', 'm'], { cwd: root, shellFirst: FULL });
      expect({ code: validated.code, stderr: validated.stderr }).toEqual({ code: 1, stderr: LOST });
      const planned = await runCli(['plan', 'm', '--state', 'state', '--output', 'json'], {
        cwd: root,
        shellFirst: FULL,
      });
      expect({ code: planned.code, stderr: planned.stderr }).toEqual({ code: 1, stderr: LOST });
    });
  });

  it('apply: stops as an interrupt does, its lock released; the next apply converges to one audience', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const env = emulatorEnv(emulator);
        await writeFiles(path.join(root, 'm'), { 'gold.yaml': manifestYaml('gold') });
        await mkdir(path.join(root, 'state'));
        const lost = await runCli(['apply', 'm', '--state', 'state', '--auto-approve'], {
          cwd: root,
          env,
          shellFirst: FULL,
        });
        expect(lost.code).not.toBe(0);
        expect(lost.stderr).toContain(LOST);
        expect(lost.stderr).not.toMatch(/\n\s+at /);
        expect(existsSync(lockPath(path.join(root, 'state')))).toBe(false);

        const again = await runCli(['apply', 'm', '--state', 'state', '--auto-approve'], { cwd: root, env });
        expect(again.code, again.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience gold']);
      }),
    );
  });
});
