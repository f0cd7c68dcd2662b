import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX } from '../../src/emulator/index.js';
import { runCli } from '../helpers/cli.js';
import { controllerEnv } from './helpers/controller.js';
import { appliedByFirstController, controllerSpec, statusWhen } from './helpers/controller-spec.js';

// Review 38v, M-1: drift left uncorrected now stands on audiences[] until the next refresh
// (withStandingDrift, 6ed12c0e). A rename's detail tells the person to run `state forget` to
// leave the renamed audience and create the manifest's anew; beside a controller on a directory
// store they do, the next pass creates a new audience for gold, and /status still shows gold
// `blocked` for the rename of the audience it no longer manages, until the next refresh (1 h).

const spec = controllerSpec('refresh-drift-forgotten-');
const ORG = DEMO_CLIENT.orgId;

describe('run: a renamed audience forgotten as its block says', () => {
  it('is in-sync once the next pass has created the manifest audience anew', async () => {
    const { em, state, args } = await appliedByFirstController(spec);

    const gold = em.control.listAudiences(ORG, DEMO_SANDBOX)[0]!;
    em.control.uiEditAudience(ORG, DEMO_SANDBOX, gold.audienceId, { name: 'Renamed in the UI' });

    const ctl = await spec.start([...args, '--resync-interval', '2s'], controllerEnv(em));
    const refreshed = await statusWhen(
      ctl,
      (s) => s.reconcile.lastResult !== null && !s.reconcile.running,
      'the first pass (a refresh)',
    );
    expect(refreshed.audiences.map((a) => `${a.key} ${a.state}`)).toEqual(['gold blocked']);

    // What the block says to do: forget it, beside the controller (a directory store).
    const forget = await runCli(['state', 'forget', 'gold', '--sandbox', DEMO_SANDBOX, '--state', state], {
      env: controllerEnv(em),
    });
    expect(forget.code, forget.stderr).toBe(0);

    const created = await statusWhen(
      ctl,
      (s) => !s.reconcile.running && em.control.listAudiences(ORG, DEMO_SANDBOX).length === 2,
      'the pass that creates gold anew',
    );
    const fresh = em.control.listAudiences(ORG, DEMO_SANDBOX).find((a) => a.audienceId !== gold.audienceId);
    const shown = created.audiences.find((a) => a.key === 'gold');
    expect({ id: shown?.audienceId, state: shown?.state, error: shown?.lastError?.message }).toEqual({
      id: fresh?.audienceId,
      state: 'in-sync',
      error: undefined,
    });
  }, 90_000);
});
