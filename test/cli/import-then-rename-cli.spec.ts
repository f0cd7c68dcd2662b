import { describe, expect, it } from 'vitest';
import { NO_AEP_CREDENTIALS } from '../helpers/apply-env.js';
import { withApplyStory, type ApplyStory } from '../helpers/apply-story.js';
import { runCli } from '../helpers/cli.js';
import { manifestObject } from '../helpers/manifests.js';
import { colleagueAudience } from '../helpers/with-emulator.js';

// review-36c M-2: an imported audience whose manifest's spec.name changes before the first apply.
// The import recorded the name it verified ("Gold", imported.name), but the plan of an imported
// audience was "PATCH its changeable properties", so the name change was never looked at: the
// PATCH succeeded, the record said "Gold v2" was applied, and every later plan said "No changes.
// The audiences match the manifests." over an audience still named "Gold" (a refresh then called
// it "renamed outside audiencectl", and a removal's delete was blocked as renamed). Now the
// rename is planned as what it is, a replacement, blocked as adoption blocks it (an audience
// audiencectl did not create is never replaced), nothing sent; the name put back, it is PATCHed.

const noRun = { ingestion: { onCreate: false } };

type Story = ApplyStory & { gold: string };

/** A colleague's "Gold", imported for `gold` (with credentials, or `unverified` without), then renamed in the manifest. */
async function story(unverified: boolean, fn: (story: Story) => Promise<void>): Promise<void> {
  await withApplyStory(async (s) => {
    const gold = colleagueAudience(s.emulator, { name: 'Gold' }).audienceId;
    await s.dir.write([manifestObject('gold', { ...noRun, spec: { name: 'Gold' } })]);
    const imported = await runCli(
      ['state', 'import', 'gold', s.dir.dir, '--sandbox', 'prod', '--audience-id', gold, '--state', s.state],
      { env: unverified ? NO_AEP_CREDENTIALS : s.env },
    );
    expect(imported.code).toBe(0);
    await s.dir.write([manifestObject('gold', { ...noRun, spec: { name: 'Gold v2' } })]);
    await fn({ ...s, gold });
  });
}

function held({ dir, state }: Story): string {
  return `the audience was imported as "Gold" and no apply has recorded it yet; a name cannot be PATCHed, and an audience audiencectl did not create is never replaced: set spec.name back to "Gold" (once an apply has recorded the audience, another spec.name replaces it, with metadata.allowReplace), or point the key at an audience named "Gold v2": \`audiencectl state import gold ${dir.dir} --sandbox prod --audience-id AUDIENCE_ID --state ${state} --force\` (AUDIENCE_ID: its id in AEP)`;
}

function calls({ emulator }: Story, endpoint: string): number {
  return emulator.control.requestLog().filter((entry) => entry.endpoint === endpoint).length;
}

function audienceNames({ emulator }: Story): string[] {
  return emulator.control
    .listAudiences(emulator.client.orgId, 'prod')
    .map((a) => a.audienceName)
    .sort();
}

describe('review-36c: an imported audience renamed in its manifest before the first apply', () => {
  it('is not recorded as "Gold v2" nor planned as in sync while AEP holds "Gold"', async () => {
    await story(false, async (s) => {
      const applied = await s.applyCli();
      // On main: "ok       prod/gold update: patched description, …", exit 0.
      expect(applied.code).toBe(3);
      expect(applied.stdout).toContain(`blocked  prod/gold replace: ${held(s)}\n`);
      expect(calls(s, 'patchAudience')).toBe(0);
      expect(calls(s, 'deleteAudience')).toBe(0);

      const plan = await runCli(['plan', s.dir.dir, '--state', s.state], { env: s.env });
      expect(plan.stdout).not.toContain('No changes.');
      expect(plan.stdout).toContain(
        '-/+ prod/gold replace: imported audience: name cannot be changed in place (forces replacement)  (gold.yaml:1)\n        ~ name: "Gold" -> "Gold v2"  # forces replacement\n',
      );
      // --allow-replace does not replace an audience audiencectl never applied.
      const allowed = await s.applyCli('--allow-replace');
      expect(allowed.code).toBe(3);
      expect(calls(s, 'deleteAudience')).toBe(0);
      expect(audienceNames(s)).toEqual(['Gold']);

      // The name put back, the imported audience is PATCHed and recorded as "Gold".
      await s.dir.write([manifestObject('gold', { ...noRun, spec: { name: 'Gold' } })]);
      const back = await s.applyCli();
      expect(back.code).toBe(0);
      expect(back.stdout).toContain(
        'ok       prod/gold update: patched description, labels, fields, ttlInDays\n',
      );
      const shown = await runCli(['state', 'show', 'gold', '--sandbox', 'prod', '--state', s.state]);
      expect((JSON.parse(shown.stdout) as { applied: { spec: { name: string } } }).applied.spec.name).toBe(
        'Gold',
      );
    });
  });

  it('imported without credentials: held the same, the id never read nor PATCHed', async () => {
    await story(true, async (s) => {
      const applied = await s.applyCli();
      expect(applied.code).toBe(3);
      expect(applied.stdout).toContain(`blocked  prod/gold replace: ${held(s)}\n`);
      expect(calls(s, 'patchAudience')).toBe(0);
      const plan = await runCli(['plan', s.dir.dir, '--state', s.state], { env: s.env });
      expect(plan.stdout).not.toContain('No changes.');
      expect(audienceNames(s)).toEqual(['Gold']);
    });
  });
});
