import { describe, expect, it } from 'vitest';
import { correctionsStanding, withStandingDrift } from './drift-status.js';
import type { AudienceStatus, DriftInfo } from './types.js';

const at = new Date('2026-12-05T07:00:00.000Z');
const audience = (key: string, state: AudienceStatus['state'] = 'in-sync'): AudienceStatus => ({
  sandbox: 'prod',
  key,
  state,
});
const drift = (key: string, kind: DriftInfo['kind'], corrected = false): DriftInfo => ({
  sandbox: 'prod',
  key,
  kind,
  detail: `${key} ${kind}`,
  corrected,
});

describe('withStandingDrift', () => {
  it('keeps an uncorrected rename or deactivation blocked, other drift pending, between refreshes', () => {
    const shown = withStandingDrift(
      [audience('a'), audience('b'), audience('c'), audience('d'), audience('e', 'backoff')],
      [drift('a', 'deactivated'), drift('b', 'changed'), drift('c', 'deleted', true), drift('e', 'changed')],
      at,
    );
    expect(shown.map((s) => `${s.key} ${s.state} ${s.lastError?.message ?? '-'}`)).toEqual([
      'a blocked a deactivated',
      'b pending -',
      'c in-sync -',
      'd in-sync -',
      // A worse state (a correction backing off) stays as it is.
      'e backoff -',
    ]);
    expect(shown[0]?.lastError).toEqual({
      code: 'STEP_BLOCKED',
      message: 'a deactivated',
      at: at.toISOString(),
    });
  });

  it('brings back no audience that is no longer listed', () => {
    expect(withStandingDrift([], [drift('gone', 'renamed')], at)).toEqual([]);
  });

  // Review 38v, M-1: the key forgotten and its audience created anew.
  it('lets no drift stand on a key that now points at another audience', () => {
    const shown = withStandingDrift(
      [
        { ...audience('a'), audienceId: 'new' },
        { ...audience('b'), audienceId: 'old' },
      ],
      [drift('a', 'renamed'), drift('b', 'renamed')],
      at,
      () => 'old',
    );
    expect(shown.map((s) => `${s.key} ${s.state}`)).toEqual(['a in-sync', 'b blocked']);
  });

  // Review 38v, M-2: between a failed correction and its retry.
  it('shows a correction backing off until its retry', () => {
    const entry = {
      failures: 2,
      fingerprint: 'f',
      nextAttemptAt: at.getTime() + 60_000,
      lastError: { code: 'STEP_FAILED', message: 'update: 403', at: at.toISOString() },
    };
    const [shown] = withStandingDrift([audience('a')], [drift('a', 'changed')], at, undefined, () => entry);
    expect(shown).toEqual({
      ...audience('a'),
      state: 'backoff',
      failures: 2,
      nextAttemptAt: '2026-12-05T07:01:00.000Z',
      lastError: entry.lastError,
    });
  });

  // Review 39, M-1: the mass-recreate guard blocked the re-create; not read back before the next refresh.
  it('keeps a correction a guard blocked blocked with its reason, and asks no read back for it', () => {
    const guarded = { ...drift('a', 'deleted'), blocked: 'pass --allow-mass-recreate' };
    const [shown] = withStandingDrift([audience('a')], [guarded], at);
    expect(shown).toEqual({
      ...audience('a'),
      state: 'blocked',
      lastError: { code: 'STEP_BLOCKED', message: 'pass --allow-mass-recreate', at: at.toISOString() },
    });
    expect([...correctionsStanding([guarded, drift('b', 'changed')])]).toEqual(['prod/b']);
  });
});
