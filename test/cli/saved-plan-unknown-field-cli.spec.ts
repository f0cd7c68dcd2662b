import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliBench } from '../helpers/cli-bench.js';
import { manifestYaml } from '../helpers/manifests.js';

// Review 48 (stale), finding 1. A saved plan holding a field this release's plan format does not
// name (a guard or option a newer release writes under origin.options, a field it adds to a
// step, or one typed in by hand) was read with the field dropped, and applied: the PATCH went
// out as if the field had never been there. Refused now, before any call, naming the field.
// The built CLI, the emulator over HTTP.

const NOT_SAVED = 'is not a plan saved with `plan --output json --out`:';
const WHY = '(edited since, or saved by another audiencectl version)';

describe('apply of a saved plan with a field this version does not know', () => {
  it('refuses it in one line naming the field, before any call; the plan as saved applies', async () => {
    await cliBench(async ({ emulator, tmp, cli, setUp }) => {
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
      const text = await readFile(path.join(tmp, 'p.json'), 'utf8');

      type Saved = { origin: { options: Record<string, unknown> }; steps: Array<Record<string, unknown>> };
      const cases: Array<[string, (plan: Saved & Record<string, unknown>) => void, string]> = [
        ['option.json', (p) => (p.origin.options.keepDescriptions = true), 'origin.options.keepDescriptions'],
        ['step.json', (p) => (p.steps[0]!.onlyIf = 'description unchanged in AEP'), 'steps[0].onlyIf'],
        ['top.json', (p) => (p.requires = { audiencectl: '>=9' }), 'requires'],
      ];
      emulator.control.resetCounters();
      for (const [name, add, field] of cases) {
        const plan = JSON.parse(text) as Saved & Record<string, unknown>;
        add(plan);
        await writeFile(path.join(tmp, name), JSON.stringify(plan, null, 2));
        const refused = await cli('apply', name, '--auto-approve');
        expect(refused.stderr, name).toBe(
          `Error: ${name} ${NOT_SAVED} ${field} is not a field of this version's plans ${WHY}\n`,
        );
        expect(refused.stdout, name).toBe('');
        expect(refused.code, name).toBe(1);
      }
      expect(emulator.control.counters().requests).toBe(0);

      // The file as `plan` wrote it holds no such field: it applies.
      const accepted = await cli('apply', 'p.json', '--auto-approve');
      expect(accepted.code, accepted.stdout + accepted.stderr).toBe(0);
      expect(accepted.stdout).toContain('prod/gold update: patched description');
    });
  });
});
