import { describe, expect, it } from 'vitest';
import { cliBench } from '../helpers/cli-bench.js';
import { expectSavedPlansRefused, savedUpdatePlan } from '../helpers/saved-plan.js';

// Review 48 (stale), finding 1. A saved plan holding a field this release's plan format does not
// name (a guard or option a newer release writes under origin.options, a field it adds to a
// step, or one typed in by hand) was read with the field dropped, and applied: the PATCH went
// out as if the field had never been there. Refused now, before any call, naming the field.
// The built CLI, the emulator over HTTP.

const NOT_SAVED = 'is not a plan saved with `plan --output json --out`:';
const WHY = '(edited since, or saved by another audiencectl version)';

describe('apply of a saved plan with a field this version does not know', () => {
  it('refuses it in one line naming the field, before any call; the plan as saved applies', async () => {
    await cliBench(async (bench) => {
      const text = await savedUpdatePlan(bench);

      type Saved = { origin: { options: Record<string, unknown> }; steps: Array<Record<string, unknown>> };
      const cases: Array<[string, (plan: Saved & Record<string, unknown>) => void, string]> = [
        ['option.json', (p) => (p.origin.options.keepDescriptions = true), 'origin.options.keepDescriptions'],
        ['step.json', (p) => (p.steps[0]!.onlyIf = 'description unchanged in AEP'), 'steps[0].onlyIf'],
        ['top.json', (p) => (p.requires = { audiencectl: '>=9' }), 'requires'],
      ];
      await expectSavedPlansRefused(
        bench,
        text,
        cases.map(([name, add, field]) => [
          name,
          add,
          `Error: ${name} ${NOT_SAVED} ${field} is not a field of this version's plans ${WHY}\n`,
        ]),
      );

      // The file as `plan` wrote it holds no such field: it applies.
      const accepted = await bench.cli('apply', 'p.json', '--auto-approve');
      expect(accepted.code, accepted.stdout + accepted.stderr).toBe(0);
      expect(accepted.stdout).toContain('prod/gold update: patched description');
    });
  });
});
