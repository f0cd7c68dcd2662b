import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX } from '../../src/emulator/index.js';
import { controllerEnv } from './helpers/controller.js';
import { appliedByFirstController, controllerSpec, statusWhen } from './helpers/controller-spec.js';

// Review 38v, M-2: a refused drift correction is read again by "the pass that retries it"
// (RefreshSchedule.again, 89ca25da). But again() makes *every* next pass refresh, the retry or
// not: while the correction backs off (here an hour), each resync (and each commit's pass) reads
// every audience of every sandbox back, finds the same drift, leaves it uncorrected (the audience
// still backing off, nothing sent), and asks again, for as long as AEP refuses the PATCH.
// "Between refreshes the passes trust the records" (docs/controller.md) no longer holds.

const spec = controllerSpec('refresh-correction-backoff-');
const ORG = DEMO_CLIENT.orgId;

describe('run: a drift correction AEP keeps refusing, backing off for an hour', () => {
  it('is not read back by the resyncs before its retry is due', async () => {
    const { em, args } = await appliedByFirstController(spec);

    const gold = em.control.listAudiences(ORG, DEMO_SANDBOX)[0]!;
    em.control.uiEditAudience(ORG, DEMO_SANDBOX, gold.audienceId, { labels: ['core/C9'] });
    em.control.queueFault({ kind: 'clientError', endpoint: 'patchAudience', status: 403, count: 100 });

    const ctl = await spec.start(
      [...args, '--resync-interval', '2s', '--backoff-base', '1h', '--backoff-max', '1h'],
      controllerEnv(em),
    );
    const failed = await statusWhen(
      ctl,
      (s) => s.reconcile.lastResult !== null && !s.reconcile.running,
      'the first pass (a refresh)',
    );
    expect(failed.audiences.map((a) => `${a.key} ${a.state}`)).toEqual(['gold backoff']);
    const refreshedAt = failed.refresh?.lastAt;
    const finished = failed.reconcile.lastFinishedAt ?? '';

    // Two resyncs later (2 s apart), the correction still an hour from its retry.
    const second = await statusWhen(
      ctl,
      (s) => (s.reconcile.lastFinishedAt ?? '') > finished && !s.reconcile.running,
      'the first resync',
    );
    const third = await statusWhen(
      ctl,
      (s) =>
        (s.reconcile.lastFinishedAt ?? '') > (second.reconcile.lastFinishedAt ?? '') && !s.reconcile.running,
      'the second resync',
    );
    const shown = third.audiences.find((a) => a.key === 'gold');
    expect({ lastAt: third.refresh?.lastAt, state: shown?.state, next: shown?.nextAttemptAt }).toEqual({
      lastAt: refreshedAt,
      state: 'backoff',
      next: failed.audiences[0]?.nextAttemptAt,
    });
  }, 90_000);
});
