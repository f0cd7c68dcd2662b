import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv } from './helpers/controller.js';
import { appliedByFirstController, controllerSpec, statusWhen } from './helpers/controller-spec.js';

// Review 38s, S-3: a refresh reads back only the audiences whose manifest loaded. gold, held for
// an error in its file, was not read while someone deleted it in the UI; once the file was fixed,
// its pass planned from the records, showed gold `in-sync` and created nothing, until the next
// scheduled refresh. The pass of a manifest held at the last refresh now reads the audiences back.

const spec = controllerSpec('refresh-held-file-');
const ORG = DEMO_CLIENT.orgId;
const NO_RUN = { ingestion: { onCreate: false } };

describe('run: the refresh of an audience held for its broken file', () => {
  it('reads the audience back once its file is fixed, and creates it again if it was deleted in the UI meanwhile', async () => {
    const { em, dir, args } = await appliedByFirstController(spec, ['gold', 'silver']);

    // Someone deletes gold in the UI while gold.yaml has an error (a typo in a value).
    const gold = em.control.listAudiences(ORG, DEMO_SANDBOX).find((a) => a.audienceName === 'Audience gold')!;
    em.control.uiDeleteAudience(ORG, DEMO_SANDBOX, gold.audienceId);
    const good = manifestYaml('gold', NO_RUN);
    await writeFile(path.join(dir, 'gold.yaml'), good.replace('ttlInDays: 30', 'ttlInDays: thirty'));

    const ctl = await spec.start([...args, '--resync-interval', '1h'], controllerEnv(em));
    const held = await statusWhen(
      ctl,
      (s) => s.reconcile.lastResult !== null && !s.reconcile.running,
      'the first pass (a refresh)',
    );
    expect(held.audiences.find((a) => a.key === 'gold')?.state).toBe('blocked');
    const before = held.reconcile.lastFinishedAt ?? '';

    // The file is fixed: the watch pass follows, the last refresh an hour young.
    await writeFile(path.join(dir, 'gold.yaml'), good);
    const fixed = await statusWhen(
      ctl,
      (s) => (s.reconcile.lastFinishedAt ?? '') > before && !s.reconcile.running,
      'the pass of the fixed file',
    );
    const names = em.control
      .listAudiences(ORG, DEMO_SANDBOX)
      .map((a) => a.audienceName)
      .sort();
    expect({
      names,
      state: fixed.audiences.find((a) => a.key === 'gold')?.state,
      // The pass of the fixed file read gold back: its deletion found, and corrected.
      drift: fixed.refresh?.drifted.map((d) => `${d.key} ${d.kind} ${d.corrected}`),
    }).toEqual({
      names: ['Audience gold', 'Audience silver'],
      state: 'in-sync',
      drift: ['gold deleted true'],
    });
  }, 90_000);
});
