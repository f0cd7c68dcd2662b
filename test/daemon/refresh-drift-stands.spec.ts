import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX } from '../../src/emulator/index.js';
import { controllerEnv } from './helpers/controller.js';
import { appliedByFirstController, controllerSpec, statusWhen } from './helpers/controller-spec.js';

// Review 38s, S-2: an audience deactivated in the UI was `blocked` on /status only in the pass
// of the refresh that found it; the next pass that did not refresh (a resync) planned from the
// records and showed it `in-sync`, while the same /status listed the deactivation uncorrected.
// An alert on blocked audiences resolved by itself and fired again at each refresh.

const spec = controllerSpec('refresh-drift-stands-');
const ORG = DEMO_CLIENT.orgId;

describe('run: an audience deactivated in the UI', () => {
  it('stays blocked on /status after the next pass that does not refresh (a resync)', async () => {
    const { em, args } = await appliedByFirstController(spec);

    const gold = em.control.listAudiences(ORG, DEMO_SANDBOX)[0]!;
    em.control.uiEditAudience(ORG, DEMO_SANDBOX, gold.audienceId, { lifecycleState: 'inactive' });

    const ctl = await spec.start([...args, '--resync-interval', '2s'], controllerEnv(em));
    const refreshed = await statusWhen(
      ctl,
      (s) => s.reconcile.lastResult !== null && !s.reconcile.running,
      'the first pass (a refresh)',
    );
    expect(refreshed.audiences.map((a) => `${a.key} ${a.state} ${a.lastError?.code}`)).toEqual([
      'gold blocked STEP_BLOCKED',
    ]);
    const before = refreshed.reconcile.lastFinishedAt ?? '';

    // The resync two seconds later: nothing changed in AEP, nor in the manifests.
    const resynced = await statusWhen(
      ctl,
      (s) => (s.reconcile.lastFinishedAt ?? '') > before && !s.reconcile.running,
      'the resync pass',
    );
    expect(resynced.refresh?.drifted.map((d) => `${d.key} ${d.kind} ${d.corrected}`)).toEqual([
      'gold deactivated false',
    ]);
    expect(resynced.audiences.map((a) => `${a.key} ${a.state} ${a.lastError?.code}`)).toEqual([
      'gold blocked STEP_BLOCKED',
    ]);
  }, 90_000);
});
