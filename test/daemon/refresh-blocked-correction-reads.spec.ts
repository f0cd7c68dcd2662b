import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX } from '../../src/emulator/index.js';
import type { StatusSnapshot } from '../../src/daemon/types.js';
import { controllerEnv, type ControllerProcess } from './helpers/controller.js';
import { appliedByFirstController, controllerSpec, statusWhen } from './helpers/controller-spec.js';

// Review 39, M-1. A refresh found six audiences deleted in the UI; the mass-recreate guard blocks their
// re-creates (more than 5 at once: "a person should look"). Blocked is no failure: no backoff,
// and RefreshSchedule.again(nextDue ?? now) makes *every* next pass (each resync, each commit's
// pass) read every audience of the sandbox back again (bulk-get), find the same six gone, block
// them again and ask again, for as long as nobody acts. docs/controller.md: "Between refreshes
// the passes trust the records"; a blocked step needs a person and is not retried. Now such a
// correction carries its reason (DriftInfo.blocked), asks no read back, and stands blocked.

const spec = controllerSpec('refresh-blocked-correction-');
const ORG = DEMO_CLIENT.orgId;
const SIX = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'];
const SEVEN = [...SIX, 'a7'];

const bulkGets = (em: {
  control: { counters(): { byEndpoint: { bulkGetAudiences: { requests: number } } } };
}) => em.control.counters().byEndpoint.bulkGetAudiences.requests;

/** The status after the pass that finished after `after`'s. */
function nextPass(ctl: ControllerProcess, after: StatusSnapshot, what: string): Promise<StatusSnapshot> {
  return statusWhen(
    ctl,
    (s) =>
      (s.reconcile.lastFinishedAt ?? '') > (after.reconcile.lastFinishedAt ?? '') && !s.reconcile.running,
    what,
  );
}

describe('run: drift corrections the mass-recreate guard blocks', () => {
  it('are not read back from AEP by every resync after the refresh that blocked them', async () => {
    const { em, args } = await appliedByFirstController(spec, SIX);
    for (const audience of em.control.listAudiences(ORG, DEMO_SANDBOX))
      em.control.uiDeleteAudience(ORG, DEMO_SANDBOX, audience.audienceId);

    const ctl = await spec.start([...args, '--resync-interval', '2s'], controllerEnv(em));
    const first = await statusWhen(
      ctl,
      (s) => s.reconcile.lastResult !== null && !s.reconcile.running,
      'the first pass (a refresh)',
    );
    expect(first.audiences.map((a) => `${a.key} ${a.state}`)).toEqual(SIX.map((k) => `${k} blocked`));
    const readsAfterRefresh = bulkGets(em);

    const second = await nextPass(ctl, first, 'the first resync');
    const third = await nextPass(ctl, second, 'the second resync');
    expect({
      lastAt: third.refresh?.lastAt,
      bulkGets: bulkGets(em),
      // Still shown as needing a person, with the guard's reason, between refreshes.
      shown: third.audiences.map(
        (a) => `${a.key} ${a.state} ${a.lastError?.message.includes('--allow-mass-recreate')}`,
      ),
    }).toEqual({
      lastAt: first.refresh?.lastAt,
      bulkGets: readsAfterRefresh,
      shown: SIX.map((k) => `${k} blocked true`),
    });
    expect(em.control.listAudiences(ORG, DEMO_SANDBOX)).toEqual([]);
  }, 90_000);

  it('a correction that failed, retried once six more are gone, is not read back by every pass after', async () => {
    const { em, args } = await appliedByFirstController(spec, SEVEN);
    const all = em.control.listAudiences(ORG, DEMO_SANDBOX);
    const a1 = all.find((a) => a.audienceName === 'Audience a1')!;
    const others = all.filter((a) => a !== a1);
    em.control.uiDeleteAudience(ORG, DEMO_SANDBOX, a1.audienceId);
    // The re-create of the one deleted is refused once: it backs off (3 s), its retry reads back.
    em.control.queueFault({ kind: 'clientError', endpoint: 'createAudience', status: 403, count: 1 });
    // The six others go as that refusal is answered: before its retry can be scheduled, whatever
    // the runner's speed (deleted once the test saw a1 in backoff, a slow runner's retry could
    // read back first, re-create a1, and no later pass would read back).
    const unobserve = em.control.observeRequests((request) => {
      if (request.endpoint !== 'createAudience' || request.status !== 403) return;
      for (const audience of others) em.control.uiDeleteAudience(ORG, DEMO_SANDBOX, audience.audienceId);
    });

    const ctl = await spec.start(
      [...args, '--resync-interval', '2s', '--backoff-base', '3s', '--backoff-max', '3s'],
      controllerEnv(em),
    );
    const failed = await statusWhen(
      ctl,
      (s) => s.reconcile.lastResult !== null && !s.reconcile.running,
      'the first pass (a refresh)',
    );
    expect(failed.audiences.find((a) => a.key === 'a1')?.state).toBe('backoff');
    unobserve();
    // The deletes landed with the refusal, before the retry: the six are gone.
    expect(em.control.listAudiences(ORG, DEMO_SANDBOX)).toEqual([]);

    // The retry reads back, finds six more gone: the guard blocks their re-creates.
    const retried = await statusWhen(
      ctl,
      (s) =>
        !s.reconcile.running &&
        s.audiences.filter(
          (a) => a.state === 'blocked' && (a.lastError?.message ?? '').includes('--allow-mass-recreate'),
        ).length >= 6,
      'the retry, blocked by the guard',
    );
    const readsAfterRetry = bulkGets(em);
    const next = await nextPass(ctl, retried, 'a resync');
    const after = await nextPass(ctl, next, 'another resync');
    expect({ lastAt: after.refresh?.lastAt, bulkGets: bulkGets(em) }).toEqual({
      lastAt: retried.refresh?.lastAt,
      bulkGets: readsAfterRetry,
    });
  }, 90_000);
});
