import { describe, expect, it } from 'vitest';
import type { StepResult, StepStatus } from '../apply/types.js';
import { plan } from '../plan/plan.js';
import type { Plan, Step } from '../plan/schema.js';
import type { AudienceRecord } from '../state/schema.js';
import { loadTexts, manifestYaml } from '../../test/helpers/manifests.js';
import { EMPTY, appliedState, options } from '../../test/helpers/planning.js';
import { AudienceTracker, BACKOFF_NOTE, stateOf, wantsRequeue } from './audiences.js';

const noRun = { ingestion: { onCreate: false } };
const policy = { baseMs: 1_000, maxMs: 8_000 };

function twoNew(description = 'About gold'): Plan {
  const desired = loadTexts({
    'gold.yaml': manifestYaml('gold', { ...noRun, spec: { description } }),
    'silver.yaml': manifestYaml('silver', noRun),
  });
  return plan(desired, EMPTY, options());
}

function outcome(step: Step, status: StepStatus, message = 'done'): StepResult {
  return { step, status, message };
}

function results(p: Plan, statuses: Record<string, StepStatus>): StepResult[] {
  return p.steps.map((step) =>
    outcome(step, statuses[step.key] ?? 'applied', `${step.key} ${statuses[step.key]}`),
  );
}

describe('AudienceTracker', () => {
  it('backs a failing audience off, holds its steps, and reports it', () => {
    const tracker = new AudienceTracker(policy);
    const first = twoNew();
    tracker.record(first, results(first, { gold: 'failed' }), 0, false);

    const again = twoNew();
    expect(tracker.hold(again, 500)).toBe(1);
    const gold = again.steps.find((s) => s.key === 'gold');
    expect(gold?.deferred).toMatch(new RegExp(`^${BACKOFF_NOTE} after 1 failure`));
    expect(again.steps.find((s) => s.key === 'silver')?.deferred).toBeUndefined();

    const states = tracker.states([], again, results(again, { gold: 'deferred' }), 500);
    expect(states).toEqual([
      {
        sandbox: 'prod',
        key: 'gold',
        state: 'backoff',
        failures: 1,
        nextAttemptAt: new Date(1_000).toISOString(),
        lastError: { code: 'STEP_FAILED', message: 'create: gold failed', at: new Date(0).toISOString() },
      },
      { sandbox: 'prod', key: 'silver', state: 'in-sync' },
    ]);
  });

  it('holds a failed audience for the wait its sandbox was asked for, past --backoff-max, up to a day', () => {
    const tracker = new AudienceTracker(policy);
    const first = twoNew();
    // Looked up as the pass read its time (0): the wait ends `leftMs` on.
    const asked =
      (leftMs: number, retryAfterMs = 120_000) =>
      (sandbox: string) =>
        sandbox === 'prod' ? { retryAfterMs, leftMs, until: leftMs } : undefined;
    const held = tracker.record(
      first,
      results(first, { gold: 'failed' }),
      0,
      false,
      new Set(),
      asked(100_000),
    );
    const at = new Date(100_000).toISOString();
    expect(held).toEqual([{ sandbox: 'prod', key: 'gold', retryAfterMs: 120_000, nextAttemptAt: at }]);
    expect(tracker.backoff.get('prod/gold')).toMatchObject({ nextAttemptAt: 100_000 });
    expect(tracker.backoff.get('prod/gold')?.lastError.message).toBe(
      `create: gold failed The controller waits for the Retry-After AEP gave (120 s): next attempt at ${at}.`,
    );
    expect(tracker.backoff.nextDue(0)).toBe(100_000);
    // A wait shorter than the backoff: the backoff's, and nothing said of the wait.
    const second = twoNew();
    expect(
      tracker.record(second, results(second, { gold: 'failed' }), 0, false, new Set(), asked(1_500)),
    ).toEqual([]);
    expect(tracker.backoff.get('prod/gold')).toMatchObject({ failures: 2, nextAttemptAt: 2_000 });
    // A date written a year on holds it a day.
    const third = twoNew();
    tracker.record(
      third,
      results(third, { gold: 'failed' }),
      0,
      false,
      new Set(),
      asked(365 * 86_400_000, 365 * 86_400_000),
    );
    expect(tracker.backoff.get('prod/gold')).toMatchObject({ nextAttemptAt: 86_400_000 });
  });

  it('holds it until the wait ends, however long after the pass read its time the wait was looked up', () => {
    const tracker = new AudienceTracker(policy);
    const first = twoNew();
    // The pass read its time (0), then looked the wait up 10 ms on: 99,990 ms left of a wait
    // ending at 100,000. A retry at 99,990 would be sent before the Retry-After is over
    // (retry-after-too-long-controller, 3 ms short under load).
    const held = tracker.record(first, results(first, { gold: 'failed' }), 0, false, new Set(), (sandbox) =>
      sandbox === 'prod' ? { retryAfterMs: 120_000, leftMs: 99_990, until: 100_000 } : undefined,
    );
    expect(tracker.backoff.get('prod/gold')).toMatchObject({ nextAttemptAt: 100_000 });
    expect(tracker.hold(twoNew(), 99_999)).toBe(1);
    expect(held).toEqual([
      { sandbox: 'prod', key: 'gold', retryAfterMs: 120_000, nextAttemptAt: new Date(100_000).toISOString() },
    ]);
  });

  it('retries when the wait is over, doubling it on another failure, and forgets it on success', () => {
    const tracker = new AudienceTracker(policy);
    const first = twoNew();
    tracker.record(first, results(first, { gold: 'failed' }), 0, false);
    const second = twoNew();
    expect(tracker.hold(second, 1_000)).toBe(0);
    tracker.record(second, results(second, { gold: 'failed' }), 1_000, false);
    expect(tracker.backoff.get('prod/gold')).toMatchObject({ failures: 2, nextAttemptAt: 3_000 });
    const third = twoNew();
    expect(tracker.hold(third, 3_000)).toBe(0);
    tracker.record(third, results(third, {}), 3_000, false);
    expect(tracker.backoff.size).toBe(0);
    expect(tracker.states([], third, results(third, {}), 3_000).map((a) => a.state)).toEqual([
      'in-sync',
      'in-sync',
    ]);
  });

  it('tries a changed manifest at once', () => {
    const tracker = new AudienceTracker(policy);
    const first = twoNew();
    tracker.record(first, results(first, { gold: 'failed' }), 0, false);
    expect(tracker.hold(twoNew('Fixed'), 10)).toBe(0);
  });

  it('does not back off failures caused by stopping', () => {
    const tracker = new AudienceTracker(policy);
    const first = twoNew();
    tracker.record(first, results(first, { gold: 'failed' }), 0, true);
    expect(tracker.backoff.size).toBe(0);
  });

  it('shows held files as blocked, planned steps as pending in dry-run, and drops deleted audiences', () => {
    const desired = loadTexts({
      'gold.yaml': manifestYaml('gold', noRun),
      'silver.yaml': manifestYaml('silver', noRun),
    });
    const recorded = appliedState(desired);
    const records: AudienceRecord[] = recorded.audiences;
    const broken = loadTexts({
      'gold.yaml': manifestYaml('gold', noRun).replace('description:', 'descripton:'),
      'bronze.yaml': manifestYaml('bronze', noRun),
    });
    const p = plan(broken, recorded, options());
    const tracker = new AudienceTracker(policy);
    const planned = tracker.states(records, p, undefined, 0);
    expect(planned.map((a) => [a.key, a.state])).toEqual([
      ['bronze', 'pending'],
      ['gold', 'blocked'],
      ['silver', 'pending'],
    ]);
    expect(planned.find((a) => a.key === 'gold')?.lastError?.code).toBe('MANIFEST_INVALID');

    const executed = tracker.states(
      records.filter((r) => r.key !== 'silver'),
      p,
      results(p, {}),
      0,
    );
    expect(executed.map((a) => a.key)).toEqual(['bronze', 'gold']);
  });
});

describe('stateOf and wantsRequeue', () => {
  const step = twoNew().steps[0]!;
  it('maps step outcomes to audience states', () => {
    expect(stateOf(step, 'applied')).toBe('in-sync');
    expect(stateOf(step, 'started')).toBe('waiting-run');
    expect(stateOf(step, 'failed')).toBe('failed');
    expect(stateOf(step, 'skipped')).toBe('pending');
    expect(stateOf({ ...step, blocked: 'guard' }, undefined)).toBe('blocked');
    expect(stateOf({ ...step, deferred: 'run budget' }, 'deferred')).toBe('pending');
    expect(stateOf({ ...step, deferred: `${BACKOFF_NOTE} after 1` }, 'deferred')).toBe('backoff');
    expect(stateOf(step, 'deferred')).toBe('waiting-run');
  });

  it('requeues only steps the executor deferred (a run in progress)', () => {
    expect(wantsRequeue(outcome(step, 'deferred'))).toBe(true);
    expect(wantsRequeue(outcome({ ...step, deferred: 'run budget' }, 'deferred'))).toBe(false);
    expect(wantsRequeue(outcome(step, 'failed'))).toBe(false);
  });
});
