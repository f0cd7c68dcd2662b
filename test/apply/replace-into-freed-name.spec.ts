import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { withApplyStory } from '../helpers/apply-story.js';
import { manifestObject } from '../helpers/manifests.js';

// review-36c H-1: a replacement whose new spec.name is the name of an audience this same plan
// deletes. The executor ran deletions after creates and replaces, so the replace's create was
// refused 409, the name lookup listed the other record's audience, and the create was blocked for
// the name; the delete then removed that audience, and the block stayed on every later apply: both
// audiences gone. Now the create's POST waits for the DELETE that frees its name (Step.freedBy).
// Two audiences swapping names (both replaced): both DELETEs go before both POSTs, even when the
// second DELETE is slow.
const noRun = { ingestion: { onCreate: false } };

describe('a replacement taking a name this plan frees', () => {
  it('retiring "Gold" and renaming silver to "Gold" (allowReplace) ends with one audience "Gold"', async () => {
    await withApplyStory(async ({ emulator, dir, applyCli, applyInProcess }) => {
      await dir.write([
        manifestObject('old', { ...noRun, spec: { name: 'Gold' } }),
        manifestObject('silver', { ...noRun, spec: { name: 'Silver' } }),
      ]);
      expect((await applyInProcess()).code).toBe(0);

      // old.yaml removed; silver takes its name.
      await dir.write([
        manifestObject('silver', { ...noRun, metadata: { allowReplace: true }, spec: { name: 'Gold' } }),
      ]);
      const first = await applyCli();
      expect(first.code).toBe(0);
      expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.audienceName)).toEqual([
        'Gold',
      ]);
      const second = await applyCli();

      const names = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.audienceName);
      expect(names).toEqual(['Gold']);
      expect(second.stdout).toContain('No changes.');
      expect(second.code).toBe(0);
    });
  });

  it('ends with both names created, not one replace blocked by the audience the other deleted', async () => {
    await withApplyStory(async ({ emulator, dir, applyCli, applyInProcess }) => {
      await dir.write([
        manifestObject('a', { ...noRun, spec: { name: 'Xname' } }),
        manifestObject('b', { ...noRun, spec: { name: 'Yname' } }),
      ]);
      expect((await applyInProcess()).code).toBe(0);

      await dir.write([
        manifestObject('a', { ...noRun, metadata: { allowReplace: true }, spec: { name: 'Yname' } }),
        manifestObject('b', { ...noRun, metadata: { allowReplace: true }, spec: { name: 'Xname' } }),
      ]);
      // The second DELETE waits 2 s before the service handles it.
      emulator.control.queueFault({ kind: 'slow', endpoint: 'deleteAudience', after: 1 });
      const first = await applyCli();
      expect(first.code).toBe(0);
      const second = await applyCli();
      expect(second.stdout).toContain('No changes.');

      const names = emulator.control
        .listAudiences(DEMO_CLIENT.orgId, 'prod')
        .map((a) => a.audienceName)
        .sort();
      expect(names).toEqual(['Xname', 'Yname']);
      expect(second.code).toBe(0);
    });
  });

  it('a replace renaming "Gold" away while a new manifest takes "Gold": the create is sent after the DELETE', async () => {
    await withApplyStory(async ({ emulator, dir, applyCli, applyInProcess }) => {
      await dir.write([manifestObject('gold', { ...noRun, spec: { name: 'Gold' } })]);
      expect((await applyInProcess()).code).toBe(0);

      await dir.write([
        manifestObject('gold', {
          ...noRun,
          metadata: { allowReplace: true },
          spec: { name: 'Gold legacy' },
        }),
        manifestObject('gold2', { ...noRun, spec: { name: 'Gold' } }),
      ]);
      // The replace's DELETE waits 2 s before the service handles it.
      emulator.control.queueFault({ kind: 'slow', endpoint: 'deleteAudience' });
      const first = await applyCli();
      expect(first.code).toBe(0);

      const names = emulator.control
        .listAudiences(DEMO_CLIENT.orgId, 'prod')
        .map((audience) => audience.audienceName)
        .sort();
      expect(names).toEqual(['Gold', 'Gold legacy']);
      expect((await applyCli()).stdout).toContain('No changes.');
    });
  });
});
