import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readState } from '../../src/state/read.js';
import { applyInProcess } from '../apply/helpers/in-process.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

const files = (keys: readonly string[]) =>
  Object.fromEntries(
    keys.map((key) => [`${key}.yaml`, manifestYaml(key, { ingestion: { onCreate: true } })]),
  );

/** Item 4 of issue 12: lost state rebuilt by `state import --discover`. */
describe('state import --discover', () => {
  it('after the state directory is lost, rebuilds the records so that plan creates nothing', async () => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const dir = path.join(tmp, 'm');
        const state = path.join(tmp, 'state');
        await mkdir(dir);
        await applyInProcess(emulator, state, files(['gold', 'silver']));
        const before = new Map((await readState(state)).audiences.map((r) => [r.key, r.audienceId]));
        for (const [file, text] of Object.entries(files(['gold', 'silver', 'bronze'])))
          await writeFile(path.join(dir, file), text);
        await rm(state, { recursive: true, force: true });
        await mkdir(state);
        const env = emulatorEnv(emulator);

        const dry = await runCliInProcess(
          ['state', 'import', '--discover', dir, '--state', state, '--dry-run'],
          {
            env,
          },
        );
        expect(dry.code).toBe(0);
        expect(dry.stdout).toMatch(new RegExp(`prod/gold\\s+matched\\s+${before.get('gold')}`));
        expect(dry.stdout).toMatch(/prod\/bronze\s+missing\s+-\s+no audience of that name/);
        expect(dry.stdout).toContain(
          '2 matched and would be recorded (--dry-run: nothing written), 1 missing',
        );
        expect((await readState(state)).audiences).toEqual([]);

        const discovered = await runCliInProcess(['state', 'import', '--discover', dir, '--state', state], {
          env,
        });
        expect(discovered.code).toBe(0);
        const after = new Map((await readState(state)).audiences.map((r) => [r.key, r.audienceId]));
        expect(after).toEqual(before);

        const planned = await runCliInProcess(['plan', dir, '--state', state], { env });
        expect(planned.stdout).toContain('+ prod/bronze create: new manifest');
        expect(planned.stdout).not.toContain('prod/gold create');
        expect(planned.stdout).not.toContain('prod/silver create');
        expect(planned.stdout).toContain('~ prod/gold update: imported audience');
        // The first run counts as done for what was discovered.
        expect(planned.stdout).not.toMatch(/prod\/(gold|silver) run/);

        const bad = await runCliInProcess(['state', 'import', 'gold', '--state', state], { env });
        expect(bad.code).toBe(1);
        expect(bad.stderr).toBe('Error: state import needs <key> and --audience-id <id>, or --discover\n');
      });
    });
  });
});
