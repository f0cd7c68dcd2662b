import { describe, expect, it } from 'vitest';
import { AepError } from '../aep/errors.js';
import { passFailureWaitMs } from './pass-wait.js';

const held = new AepError({
  code: 'AEP_HELD',
  message: 'held',
  sandbox: 'prod',
  endpoint: 'getAudience',
  method: 'GET',
});

describe('passFailureWaitMs', () => {
  it('counts the wait left from the time the pass failed, not from when the wait was looked up', () => {
    // The reconciler read its time (1,000), then looked the wait up 10 ms on: 4,990 ms left of
    // a wait ending at 6,000. The next pass scheduled 4,990 ms after 1,000 would come 10 ms early.
    const wait = passFailureWaitMs(held, 1_000, (sandbox) =>
      sandbox === 'prod' ? { leftMs: 4_990, retryAfterMs: 6_000, until: 6_000 } : undefined,
    );
    expect(wait).toEqual({ asker: 'AEP', sandbox: 'prod', leftMs: 5_000 });
  });

  it('never counts more than the wait asked for, whatever the wall clock says', () => {
    // The wall clock stepped back 1 h between the answer and the pass's time.
    const wait = passFailureWaitMs(held, 0, () => ({ leftMs: 5_000, retryAfterMs: 6_000, until: 3_606_000 }));
    expect(wait).toEqual({ asker: 'AEP', sandbox: 'prod', leftMs: 6_000 });
  });

  it('finds no wait when the error names no sandbox with one', () => {
    expect(passFailureWaitMs(held, 0, () => undefined)).toBeUndefined();
    expect(
      passFailureWaitMs(new Error('other'), 0, () => ({ leftMs: 1, retryAfterMs: 1, until: 1 })),
    ).toBeUndefined();
  });
});
