import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { NO_AEP_CREDENTIALS } from '../helpers/apply-env.js';
import { withApplyStory, type ApplyStory } from '../helpers/apply-story.js';
import { runCli } from '../helpers/cli.js';
import { manifestObject } from '../helpers/manifests.js';
import { colleagueAudience } from '../helpers/with-emulator.js';

// review-36c M-1: `state import old --without-manifest` without credentials records the id
// unverified and with no name (there is no manifest to take one from). The next apply planned
// `- prod/old delete: manifest removed` and DELETEd the id: the delete check compared the
// imported name, and there was none, so a colleague's audience under a mistyped id was deleted,
// never read against anything, the plan not naming what it deleted. Now the plan says the
// delete is held, and the apply reads the id and holds it (exit 3), naming what it names, with
// the repairs; an import with credentials verifies the id, and the next apply deletes it.

/** A manifests directory holding only `keep`, and a store. */
async function story(fn: (story: ApplyStory) => Promise<void>): Promise<void> {
  await withApplyStory(async (s) => {
    await s.dir.write([manifestObject('keep', { ingestion: { onCreate: false } })]);
    await fn(s);
  });
}

function importArgs({ dir, state }: ApplyStory, id: string): string[] {
  return [
    'state',
    'import',
    'old',
    dir.dir,
    '--sandbox',
    'prod',
    '--audience-id',
    id,
    '--without-manifest',
    '--state',
    state,
  ];
}

function names({ emulator }: ApplyStory): string[] {
  return emulator.control
    .listAudiences(DEMO_CLIENT.orgId, 'prod')
    .map((a) => a.audienceName)
    .sort();
}

function deletes({ emulator }: ApplyStory): number {
  return emulator.control.requestLog().filter((entry) => entry.endpoint === 'deleteAudience').length;
}

describe('review-36c: an unverified import without a manifest', () => {
  it('is not deleted while nothing ever verified what its id names', async () => {
    await story(async (s) => {
      const platinum = colleagueAudience(s.emulator, { name: 'Platinum' });
      const imported = await runCli(importArgs(s, platinum.audienceId), { env: NO_AEP_CREDENTIALS });
      expect(imported.stdout).toContain(
        '  - Not verified through the service: no AEP credentials are configured (AEP_CLIENT_ID, AEP_CLIENT_SECRET, AEP_ORG_ID, or --config), and with no manifest read there is no name to check the id against: an apply reads what it names and holds its PATCH, run and delete, naming that audience, until an import with AEP credentials verifies the id.\n',
      );

      const plan = await runCli(['plan', s.dir.dir, '--state', s.state], { env: s.env });
      expect(plan.stdout).toContain(
        '  - prod/old delete: manifest removed; `audiencectl state import` recorded its id without AEP credentials or a manifest, so nothing has checked which audience it names: the apply reads it and holds the delete, naming that audience, until an import with AEP credentials verifies the id\n',
      );

      const applied = await s.applyCli();
      // On main: "ok       prod/old delete: deleted <id>", exit 0.
      expect(applied.code).toBe(3);
      expect(applied.stdout).toContain(
        `blocked  prod/old delete: not deleted: id ${platinum.audienceId} names "Platinum" (created by colleague@AdobeID), and nothing has checked that it is the audience to delete: \`audiencectl state import\` recorded this id for prod/old without AEP credentials and without a manifest, so with no name to compare it with; if it is, verify it with AEP credentials: \`audiencectl state import old ${s.dir.dir} --sandbox prod --audience-id ${platinum.audienceId} --state ${s.state} --without-manifest\`, and the next apply deletes it; if not, point the key at the audience to delete: \`audiencectl state import old ${s.dir.dir} --sandbox prod --audience-id AUDIENCE_ID --state ${s.state} --without-manifest --force\` (AUDIENCE_ID: its id in AEP), or run \`audiencectl state forget old --sandbox prod --state ${s.state}\` to drop the record and leave "Platinum" alone\n`,
      );
      expect(deletes(s)).toBe(0);
      expect(names(s)).toEqual(['Audience keep', 'Platinum']);

      // Held by every apply until repaired; forgetting it leaves the colleague's audience alone.
      const again = await s.applyCli();
      expect(again.code).toBe(3);
      expect(deletes(s)).toBe(0);
      const forgot = await runCli(['state', 'forget', 'old', '--sandbox', 'prod', '--state', s.state]);
      expect(forgot.code).toBe(0);
      const after = await s.applyCli();
      expect(after.code).toBe(0);
      expect(deletes(s)).toBe(0);
      expect(names(s)).toEqual(['Audience keep', 'Platinum']);
    });
  });

  it('is deleted once an import with credentials has verified its id', async () => {
    await story(async (s) => {
      const retired = colleagueAudience(s.emulator, { name: 'Retired tier' });
      expect((await runCli(importArgs(s, retired.audienceId), { env: NO_AEP_CREDENTIALS })).code).toBe(0);
      const verified = await runCli(importArgs(s, retired.audienceId), { env: s.env });
      expect(verified.code).toBe(0);
      expect(verified.stdout).toContain(
        `  - Verified through the service: audience ${retired.audienceId} is an external audience ("Retired tier"); its name was not compared, as no manifest was found.\n`,
      );
      const shown = await runCli(['state', 'show', 'old', '--sandbox', 'prod', '--state', s.state]);
      expect((JSON.parse(shown.stdout) as { imported: object }).imported).not.toHaveProperty('unverified');

      const plan = await runCli(['plan', s.dir.dir, '--state', s.state], { env: s.env });
      expect(plan.stdout).toContain('  - prod/old delete: manifest removed\n');
      const applied = await s.applyCli();
      expect(applied.code).toBe(0);
      expect(applied.stdout).toContain(`ok       prod/old delete: deleted ${retired.audienceId}\n`);
      expect(names(s)).toEqual(['Audience keep']);
    });
  });

  it('whose id names no audience is held, not read as deleted outside audiencectl', async () => {
    await story(async (s) => {
      const typo = '11111111-2222-4333-8444-555555555555';
      expect((await runCli(importArgs(s, typo), { env: NO_AEP_CREDENTIALS })).code).toBe(0);
      const applied = await s.applyCli();
      // Before: "ok       prod/old delete: <id> was already deleted outside audiencectl; record forgotten".
      expect(applied.code).toBe(3);
      expect(applied.stdout).toContain(
        `blocked  prod/old delete: not deleted: id ${typo} names no audience in sandbox "prod" (the Audiences API answered 404), and it never was known to: \`audiencectl state import\` recorded it for prod/old without AEP credentials, so its 404 is no deletion; point the key at the audience to delete: \`audiencectl state import old ${s.dir.dir} --sandbox prod --audience-id AUDIENCE_ID --state ${s.state} --without-manifest --force\` (AUDIENCE_ID: its id in AEP), or run \`audiencectl state forget old --sandbox prod --state ${s.state}\` to drop the record\n`,
      );
      const shown = await runCli(['state', 'show', 'old', '--sandbox', 'prod', '--state', s.state]);
      expect(shown.code).toBe(0);
      expect((JSON.parse(shown.stdout) as { audienceId: string }).audienceId).toBe(typo);
    });
  });
});
