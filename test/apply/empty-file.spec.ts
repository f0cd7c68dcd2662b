import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv, remoteByName } from '../helpers/apply-env.js';
import { withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

// The project's first rule: only a removed manifest deletes. A manifest file emptied by
// mistake (a generator that failed after the shell truncated its output, a save on a
// full disk) used to read as a removed manifest, and apply deleted the live audience.

const HELD =
  '  prod/gold: gold.yaml holds no manifest (it is empty, or only comments); the audience is left as it is; delete the file to delete the audience\n';

describe('apply, end to end: a manifest file emptied is no removed manifest', () => {
  it('holds the audience of a file emptied to 0 bytes, or to comments only; removing the file deletes it', async () => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const dir = path.join(tmp, 'audiences');
        const state = path.join(tmp, 'state');
        const gold = path.join(dir, 'gold.yaml');
        await mkdir(dir);
        const env = emulatorEnv(emulator);
        const noRun = { ingestion: { onCreate: false } };
        await writeFile(gold, manifestYaml('gold', noRun));
        await writeFile(path.join(dir, 'silver.yaml'), manifestYaml('silver', noRun));

        let result = await apply(dir, state, env);
        expect(result.code).toBe(0);
        const goldId = remoteByName(emulator).get('Audience gold')?.audienceId;
        expect(goldId).toBeDefined();

        for (const emptied of ['', '# generated\n']) {
          await writeFile(gold, emptied);
          const validated = await runCliInProcess(['validate', 'audiences'], { cwd: tmp });
          expect(validated).toMatchObject({ code: 0, stderr: '' });
          expect(validated.stdout).toBe(
            'audiences/gold.yaml: note: holds no manifest (it is empty, or only comments); an audience recorded from it is left as it is: delete the file to delete the audience [source/empty-file]\n' +
              '1 valid manifest(s); 0 error(s), 0 warning(s) in 0 failed file(s); 1 file(s) skipped, empty or only comments (see the notes)\n',
          );

          result = await apply(dir, state, env);
          expect(result.code).toBe(0);
          expect(result.stdout).toBe(
            `No changes planned, but 1 recorded audience is held (left alone), not compared with any manifest read here (see "Held").\n\nHeld (left alone): 1\n${HELD}`,
          );
          expect(result.stderr).toContain(
            'note: 1 file(s) skipped, empty or only comments (`audiencectl validate` lists them)\n',
          );
          expect(remoteByName(emulator).get('Audience gold')?.audienceId).toBe(goldId);
        }
        expect(emulator.control.counters().byEndpoint.deleteAudience.requests).toBe(0);

        await rm(gold);
        result = await apply(dir, state, env);
        expect(result.code).toBe(0);
        expect(result.stdout).toMatch(/ok\s+prod\/gold delete: deleted/);
        expect([...remoteByName(emulator).keys()]).toEqual(['Audience silver']);
      });
    });
  });
});
