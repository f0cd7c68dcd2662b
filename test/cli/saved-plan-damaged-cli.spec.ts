import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cliBench } from '../helpers/cli-bench.js';
import { expectSavedPlansRefused, savedUpdatePlan } from '../helpers/saved-plan.js';

// Review 32, L-2. A plan saved with `plan --output json --out` with one field damaged was refused
// as "not a plan of this version (formatVersion 1)", though its formatVersion is 1: the message
// named neither the field nor what is wrong with it. The built CLI, the emulator over HTTP.

const NOT_SAVED = 'is not a plan saved with `plan --output json --out`:';
const WHY = '(edited since, or saved by another audiencectl version)';
// The release, as package.json says it (not as the code under test reads it).
const RELEASE = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

describe('apply of a saved plan with one field damaged', () => {
  it('names the first bad field and what is wrong, in one line; a newer version names itself and the ways on', async () => {
    await cliBench(async (bench) => {
      const text = await savedUpdatePlan(bench);
      const plan = JSON.parse(text) as {
        formatVersion: unknown;
        origin?: { dir?: unknown };
      };
      // The file damaged below is a real saved plan, of this version, with an origin.
      expect(plan.formatVersion).toBe(1);
      expect(typeof plan.origin?.dir).toBe('string');

      const cases: Array<[string, (plan: Record<string, unknown>) => void, string]> = [
        [
          'origin-dir.json',
          (p) => ((p.origin as Record<string, unknown>).dir = 123),
          `Error: origin-dir.json ${NOT_SAVED} origin.dir must be a string, not a number ${WHY}\n`,
        ],
        [
          'no-steps.json',
          (p) => delete p.steps,
          `Error: no-steps.json ${NOT_SAVED} steps is missing ${WHY}\n`,
        ],
        [
          'origin-null.json',
          (p) => (p.origin = null),
          `Error: origin-null.json ${NOT_SAVED} origin must be an object, not null ${WHY}\n`,
        ],
        [
          'step-kind.json',
          (p) => ((p.steps as Array<Record<string, unknown>>)[0]!.kind = 'upsert'),
          `Error: step-kind.json ${NOT_SAVED} steps[0].kind must be one of "create", "update", "replace", "delete", "forget", "run", "move", "adopt" ${WHY}\n`,
        ],
        [
          'emptied.json',
          (p) => {
            for (const key of Object.keys(p)) delete p[key];
          },
          `Error: emptied.json ${NOT_SAVED} formatVersion is missing ${WHY}\n`,
        ],
        // A newer format version: said as one, whatever else differs, naming its version and the
        // ways on (it named neither: "is not a plan of this version (formatVersion 1)").
        [
          'version-2.json',
          (p) => {
            p.formatVersion = 2;
            delete p.steps;
          },
          `Error: version-2.json is a plan of formatVersion 2, saved by a newer audiencectl; this release (${RELEASE}) applies plans of formatVersion 1 only: nothing was sent to AEP or written. Plan again with this release (\`audiencectl plan --output json --out\`) and apply that plan, or upgrade audiencectl to the release that saved it\n`,
        ],
        // No release writes formatVersion 0: a damaged field.
        [
          'version-0.json',
          (p) => {
            p.formatVersion = 0;
            delete p.steps;
          },
          `Error: version-0.json ${NOT_SAVED} formatVersion must be 1 ${WHY}\n`,
        ],
      ];
      await expectSavedPlansRefused(bench, text, cases);
    });
  });
});
