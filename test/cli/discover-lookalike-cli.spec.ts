import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator, colleagueAudience } from '../helpers/with-emulator.js';

/**
 * Review 34b, M-1. Adoption and discovery look an audience up by its exact `spec.name`. A
 * colleague's audience whose name differs only by a no-break space (pasted from a document) or by
 * Unicode normalisation (`Cafe` + U+0301 where the manifest has `Café`, U+00E9) is "no audience of
 * that name": `state import --discover` reports the key `missing` ("the next apply creates them"),
 * and the apply creates a second audience whose name shows the same as the first. README
 * (Characters) knows such names "look the same" and escapes them in every output, but the one
 * command meant to find a person's existing audience by name passes over them without a word.
 */
describe('state import --discover: an audience whose name looks the same', () => {
  for (const [key, manifestName, uiName] of [
    ['nbsp', 'Audience nbsp', 'Audience\u00A0nbsp'],
    ['cafe', 'Caf\u00E9 club', 'Cafe\u0301 club'],
  ] as const) {
    it(`is shown for ${key} rather than reported missing (the next apply would create a look-alike)`, async () => {
      await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        await withTempDir(async (tmp) => {
          const dir = path.join(tmp, 'm');
          const state = path.join(tmp, 'st');
          await mkdir(dir);
          await mkdir(state);
          await writeFile(
            path.join(dir, `${key}.yaml`),
            manifestYaml(key, { spec: { name: manifestName }, ingestion: { onCreate: false } }),
          );
          const colleague = colleagueAudience(emulator, { name: uiName });
          const env = emulatorEnv(emulator);

          const discover = await runCli(
            ['state', 'import', '--discover', dir, '--state', state, '--dry-run'],
            {
              env,
            },
          );
          expect(discover.code).toBe(0);
          const line = discover.stdout.split('\n').find((l) => l.startsWith(`prod/${key} `));
          // On main: "prod/<key>  missing  -  no audience of that name".
          expect(line).toContain(colleague.id);
        });
      });
    });
  }
});

describe('state import --discover and plan --adopt beside look-alikes', () => {
  it('records none, counts none as missing, and still matches an exact name and reports a new one missing', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const dir = path.join(tmp, 'm');
        const state = path.join(tmp, 'st');
        await mkdir(dir);
        await mkdir(state);
        for (const [key, name] of [
          ['gold', 'Audience gold'],
          ['silver', 'Audience silver'],
          ['bronze', 'Audience bronze'],
        ] as const)
          await writeFile(
            path.join(dir, `${key}.yaml`),
            manifestYaml(key, { spec: { name }, ingestion: { onCreate: false } }),
          );
        const ui = (name: string) => colleagueAudience(emulator, { name }).id;
        const gold = ui('Audience\u00A0gold');
        const silver = ui('Audience silver');
        ui('Audience\u00A0silver');
        const env = emulatorEnv(emulator);

        const discover = await runCli(['state', 'import', '--discover', dir, '--state', state], { env });
        expect(discover.code).toBe(0);
        const lines = discover.stdout.split('\n');
        expect(lines.find((l) => l.startsWith('prod/gold '))).toMatch(
          new RegExp(
            `^prod/gold +look-alike +- +${gold} \\(created .* by colleague@AdobeID; named "Audience\\\\u00A0gold", a name that looks the same, which a create would duplicate\\)$`,
          ),
        );
        expect(lines.find((l) => l.startsWith('prod/silver '))).toMatch(
          new RegExp(`^prod/silver +matched +${silver}$`),
        );
        expect(lines.find((l) => l.startsWith('prod/bronze '))).toMatch(
          /^prod\/bronze +missing +- +no audience of that name$/,
        );
        expect(discover.stdout).toContain(
          "1 matched and recorded as imported, 1 missing (the next apply creates them), 0 ambiguous (import each with --audience-id). 1 with only a look-alike (an audience whose name the service takes for theirs, or that looks the same), not recorded: the next apply's create is refused (409) or makes a second audience that shows the same name; each is said below.",
        );
        expect(discover.stdout).toContain(
          `prod/gold: not recorded: no audience is named exactly "Audience gold" (its spec.name); if audience ${gold} is this manifest's, set spec.name to its name exactly and discover again, else give the manifest another spec.name.`,
        );
        const shown = await runCli(['state', 'show', 'gold', '--state', state]);
        expect(shown.code).toBe(1);

        const plan = await runCli(['plan', dir, '--state', state, '--adopt'], { env });
        expect(plan.stdout).toContain(
          `blocked: no audience named "Audience gold" that audiencectl may adopt in sandbox "prod" (found: ${gold} (created `,
        );
        expect(plan.stdout).toContain(
          'by colleague@AdobeID; named "Audience\\u00A0gold", a name that looks the same, which a create would duplicate))',
        );
      });
    });
  });
});
