import { describe, expect, it } from 'vitest';
import { NO_AEP_CREDENTIALS } from '../helpers/apply-env.js';
import { withApplyStory } from '../helpers/apply-story.js';
import { runCli } from '../helpers/cli.js';
import { manifestObject } from '../helpers/manifests.js';
import { colleagueAudience } from '../helpers/with-emulator.js';

// verify-36 M-2: the fix of review-36c M-1 holds the DELETE of an id `state import
// --without-manifest` recorded without credentials (no name to compare), but not its PATCH.
// The user imports `old` that way under a mistyped id (a colleague's "Platinum"), then writes
// old.yaml (spec.name "Old"). checkUnverifiedImport compares the live name with imported.name,
// which is undefined, so any external audience passes: the mark is dropped, the colleague's
// audience is PATCHed with our manifest's fields, and the record says "Old" was applied while
// AEP names it "Platinum"; from then on the delete check compares with "Old". Now the PATCH is
// held (exit 3), naming what the id names, with the repairs, until an import with credentials
// verifies the id (it compares the manifest's spec.name).
function importArgs(dir: string, state: string, id: string, ...more: string[]): string[] {
  return ['state', 'import', 'old', dir, '--sandbox', 'prod', '--audience-id', id, ...more, '--state', state];
}

describe('an unverified import without a manifest, whose manifest is written later', () => {
  it('does not PATCH the audience its unchecked id names', async () => {
    await withApplyStory(async ({ emulator, dir, state, env, applyCli }) => {
      const noRun = { ingestion: { onCreate: false } };
      await dir.write([manifestObject('keep', noRun)]);
      const platinum = colleagueAudience(emulator, { name: 'Platinum' });
      const imported = await runCli(importArgs(dir.dir, state, platinum.audienceId, '--without-manifest'), {
        env: NO_AEP_CREDENTIALS,
      });
      expect(imported.code).toBe(0);

      await dir.write([
        manifestObject('keep', noRun),
        manifestObject('old', { ...noRun, spec: { name: 'Old', description: 'ours' } }),
      ]);
      const applied = await applyCli();

      const patches = emulator.control
        .requestLog()
        .filter((entry) => entry.endpoint === 'patchAudience' && entry.path.includes(platinum.audienceId));
      expect(patches).toEqual([]);
      expect(applied.code).toBe(3);
      expect(applied.stdout).toContain(
        `blocked  prod/old update: not PATCHed: id ${platinum.audienceId} names "Platinum" (created by colleague@AdobeID), and nothing has checked that it is the audience of prod/old's manifest ("Old"): \`audiencectl state import\` recorded this id without AEP credentials and without a manifest, so with no name to compare it with; if it is, verify it with AEP credentials: \`audiencectl state import old ${dir.dir} --sandbox prod --audience-id ${platinum.audienceId} --state ${state}\` (it compares the manifest's spec.name), and the next apply goes on; if not, point the key at its own audience: \`audiencectl state import old ${dir.dir} --sandbox prod --audience-id AUDIENCE_ID --state ${state} --force\` (AUDIENCE_ID: its id in AEP), or run \`audiencectl state forget old --sandbox prod --state ${state}\` to create the manifest's audience anew and leave "Platinum" alone\n`,
      );
      const shown = await runCli(['state', 'show', 'old', '--sandbox', 'prod', '--state', state]);
      expect((JSON.parse(shown.stdout) as { imported: object }).imported).toHaveProperty('unverified', true);

      // The repair it names, with credentials, refuses the colleague's audience: the names differ.
      const verify = await runCli(importArgs(dir.dir, state, platinum.audienceId), { env });
      expect(verify.code).not.toBe(0);
      const again = await applyCli();
      expect(again.code).toBe(3);
      expect(emulator.control.requestLog().filter((entry) => entry.endpoint === 'patchAudience')).toEqual([]);
    });
  });

  it('is PATCHed once an import with credentials has verified its id against the manifest', async () => {
    await withApplyStory(async ({ emulator, dir, state, env, applyCli }) => {
      const noRun = { ingestion: { onCreate: false } };
      await dir.write([manifestObject('keep', noRun)]);
      const old = colleagueAudience(emulator, { name: 'Old' });
      const imported = await runCli(importArgs(dir.dir, state, old.audienceId, '--without-manifest'), {
        env: NO_AEP_CREDENTIALS,
      });
      expect(imported.code).toBe(0);
      await dir.write([
        manifestObject('keep', noRun),
        manifestObject('old', { ...noRun, spec: { name: 'Old', description: 'ours' } }),
      ]);
      const held = await applyCli();
      expect(held.code).toBe(3);

      const verify = await runCli(importArgs(dir.dir, state, old.audienceId), { env });
      expect(verify.code).toBe(0);
      expect(verify.stdout).toContain(
        `  - Verified through the service: audience ${old.audienceId} is the external audience "Old".\n`,
      );
      const applied = await applyCli();
      expect(applied.code).toBe(0);
      const patches = emulator.control
        .requestLog()
        .filter((entry) => entry.endpoint === 'patchAudience' && entry.path.includes(old.audienceId));
      expect(patches.length).toBe(1);
    });
  });
});
