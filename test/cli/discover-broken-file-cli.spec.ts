import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator, colleagueAudience } from '../helpers/with-emulator.js';

/**
 * Review 34b, L-1. `state import --discover` rebuilds lost state from "every manifest in dir";
 * a file with errors is left out without a word: the table lists the other keys, the summary
 * says nothing is missing or ambiguous, exit 0. `state import <key>` over the same file says
 * that a file could not be read; `plan`/`validate` name it as `file:line:col`. A person rebuilding
 * a lost state is told the rebuild is complete while an audience they own is not recorded.
 */
describe('state import --discover with a manifest file that has errors', () => {
  it('names the file it could not read', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const dir = path.join(tmp, 'm');
        const state = path.join(tmp, 'st');
        await mkdir(dir);
        await mkdir(state);
        await writeFile(path.join(dir, 'silver.yaml'), manifestYaml('silver'));
        // One indentation slip: gold.yaml is no longer valid YAML.
        await writeFile(
          path.join(dir, 'gold.yaml'),
          manifestYaml('gold').replace('  name: gold\n', '  name: gold\n   sandbox: prod\n'),
        );
        for (const name of ['Audience gold', 'Audience silver']) colleagueAudience(emulator, { name });

        const env = emulatorEnv(emulator);
        const validate = await runCli(['validate', dir], { env });
        expect(validate.code).toBe(1);
        expect(validate.stdout + validate.stderr).toContain('gold.yaml:4:9: error:');

        const discover = await runCli(['state', 'import', '--discover', dir, '--state', state], { env });
        expect(discover.stdout).toMatch(/prod\/silver\s+matched/);
        // On main: exit 0, and neither stdout nor stderr says a word of gold.yaml.
        expect(discover.stdout + discover.stderr).toContain('gold.yaml');
        // As validate names it, and as `state import <key>` over the same file: exit 0, a note.
        const gold = path.join(dir, 'gold.yaml');
        expect(discover.stderr).toBe(
          `${gold}:4:9: error: Nested mappings are not allowed in compact mappings [yaml/syntax]\n` +
            `${gold}:4:9: error: Implicit keys need to be on a single line [yaml/syntax]\n`,
        );
        expect(discover.code).toBe(0);
        expect(discover.stdout).toContain(
          `\nNot complete: 1 file has errors (${gold}), named on stderr (\`audiencectl validate ${dir}\`): the audiences of what was not read are neither matched nor missing; fix it and discover again.\n`,
        );
        const imported = await runCli(['state', 'show', 'gold', '--state', state]);
        expect(imported.code).toBe(1);
      });
    });
  });

  it('never says every manifest has a record when the only ones have errors', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const dir = path.join(tmp, 'm');
        const state = path.join(tmp, 'st');
        await mkdir(dir);
        await mkdir(state);
        // Two manifests of one spec.name: both files are errors (manifest/duplicate-spec-name).
        for (const key of ['gold', 'gold-copy'])
          await writeFile(
            path.join(dir, `${key}.yaml`),
            manifestYaml(key, { spec: { name: 'Audience gold' } }),
          );

        const discover = await runCli(['state', 'import', '--discover', dir, '--state', state], {
          env: emulatorEnv(emulator),
        });
        expect(discover.code).toBe(0);
        expect(discover.stdout).toBe(
          'Every manifest read already has a record: nothing to discover.\n' +
            `Not complete: 2 files have errors (${path.join(dir, 'gold-copy.yaml')}, ${path.join(dir, 'gold.yaml')}), named on stderr (\`audiencectl validate ${dir}\`): the audiences of what was not read are neither matched nor missing; fix it and discover again.\n`,
        );
        expect(discover.stderr).toContain(`${path.join(dir, 'gold.yaml')}:`);
        expect(discover.stderr).toContain('[manifest/duplicate-spec-name]');
      });
    });
  });
});
