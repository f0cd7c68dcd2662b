import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX } from '../../src/emulator/index.js';
import { controllerEnv } from './helpers/controller.js';
import { appliedByFirstController, controllerSpec, statusWhen } from './helpers/controller-spec.js';

// Review 38s, S-1: a refresh found labels edited in the UI, and AEP refused the PATCH setting
// them back (a 403, once). /status said `backoff` with a next attempt; at that attempt the pass
// planned from the records, sent nothing, and called the audience `in-sync` while AEP still held
// the edited labels, until the next refresh an hour later. The retry now reads the audience back.

const spec = controllerSpec('refresh-correction-retry-');
const ORG = DEMO_CLIENT.orgId;

describe('run: a drift correction (PATCH) that fails', () => {
  it('is tried again when its backoff expires, not shown in-sync while AEP still differs', async () => {
    const { em, args } = await appliedByFirstController(spec);

    const gold = em.control.listAudiences(ORG, DEMO_SANDBOX)[0]!;
    em.control.uiEditAudience(ORG, DEMO_SANDBOX, gold.audienceId, { labels: ['core/C9'] });
    em.control.queueFault({ kind: 'clientError', endpoint: 'patchAudience', status: 403, count: 1 });

    const ctl = await spec.start(
      [...args, '--resync-interval', '1h', '--backoff-base', '1s', '--backoff-max', '1s'],
      controllerEnv(em),
    );
    const failed = await statusWhen(
      ctl,
      (s) => s.reconcile.lastResult !== null && !s.reconcile.running,
      'the first pass (a refresh)',
    );
    expect(failed.refresh?.drifted.map((d) => `${d.key} ${d.kind} ${d.corrected}`)).toEqual([
      'gold changed false',
    ]);
    const entry = failed.audiences.find((a) => a.key === 'gold');
    expect(entry?.state).toBe('backoff');
    const next = entry?.nextAttemptAt ?? '';

    const after = await statusWhen(
      ctl,
      (s) =>
        (s.reconcile.lastStartedAt ?? '') > next &&
        !s.reconcile.running &&
        s.reconcile.lastFinishedAt! > s.reconcile.lastStartedAt!,
      'the retry pass',
    );
    const labels = em.control.listAudiences(ORG, DEMO_SANDBOX)[0]?.labels;
    const shown = after.audiences.find((a) => a.key === 'gold');
    expect({ labels, state: shown?.state }).toEqual({ labels: ['core/C1'], state: 'in-sync' });
  }, 90_000);
});
