import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { withApplyStory } from '../helpers/apply-story.js';
import { manifestObject } from '../helpers/manifests.js';

// verify-36 H-1: a tier shift in one change: "Silver" is replaced as "Gold" while "Gold" is
// replaced as "Platinum" (a chain, not a swap). The executor sent silver's DELETE without
// waiting for gold's (name-waits.ts: a replace waited before its own DELETE only for plain
// deletes), then waited for gold's DELETE before its POST. When gold's DELETE was not done (here
// its delete check refuses it: the audience was renamed in the UI), silver's audience was already
// deleted and its create not sent, apply after apply, although nothing forced silver's DELETE to
// go before gold's (no cycle). Now silver's DELETE waits for gold's and, that one refused,
// silver's replace deletes nothing.
describe('a chain of replaces whose freeing DELETE is refused', () => {
  it('does not delete the audience whose new name was never freed', async () => {
    await withApplyStory(async ({ emulator, dir, applyCli, applyInProcess }) => {
      const noRun = { ingestion: { onCreate: false } };
      await dir.write([
        manifestObject('gold', { ...noRun, spec: { name: 'Gold' } }),
        manifestObject('silver', { ...noRun, spec: { name: 'Silver' } }),
      ]);
      expect((await applyInProcess()).code).toBe(0);
      const audiences = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      const gold = audiences.find((a) => a.audienceName === 'Gold')!;
      // Someone renames gold in the UI: its delete check will refuse its DELETE.
      emulator.control.uiEditAudience(DEMO_CLIENT.orgId, 'prod', gold.audienceId, { name: 'Gold (UI)' });

      await dir.write([
        manifestObject('gold', { ...noRun, metadata: { allowReplace: true }, spec: { name: 'Platinum' } }),
        manifestObject('silver', { ...noRun, metadata: { allowReplace: true }, spec: { name: 'Gold' } }),
      ]);
      const shift = await applyCli();
      expect(shift.stdout).toContain('prod/gold');
      // Silver's replace waits for gold's DELETE before its own and, that one refused, deletes nothing.
      expect(shift.stdout).toContain(
        'blocked  prod/silver replace: not replaced: prod/gold:replace, which frees the name "Gold", did not delete its audience (blocked); nothing was deleted',
      );
      // docs/state.md: a replacement whose own DELETE is done, the other's not, "fails and is
      // created by the next apply".
      await applyCli();

      const names = emulator.control
        .listAudiences(DEMO_CLIENT.orgId, 'prod')
        .map((a) => a.audienceName)
        .sort();
      // Silver's audience is either kept (its DELETE waits for gold's, which was refused) or
      // replaced by "Gold" by the next apply: never deleted with nothing in its place.
      expect(names.filter((n) => n === 'Silver' || n === 'Gold')).toHaveLength(1);
    });
  });
});
