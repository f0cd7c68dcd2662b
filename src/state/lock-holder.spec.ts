import { describe, expect, it } from 'vitest';
import { quietNeededMs, staleReason, type LockObservation } from './lock-holder.js';

/** A lock of a holder on another host, last refreshed at `mtimeMs` by that host's clock. */
function seen(mtimeMs: number): LockObservation {
  const holder = {
    pid: 4242,
    hostname: 'elsewhere',
    since: '2026-11-22T08:00:00.000Z',
    command: 'audiencectl apply',
    nonce: 'n',
  };
  return { holder, raw: JSON.stringify(holder), mtimeMs };
}

const LIMIT = 60_000;

describe('when a lock from another host is stale', () => {
  it('needs half the limit watched only once the lock is older than the limit by this clock', () => {
    // Exactly as old as the limit is not older than it.
    expect(quietNeededMs(seen(1_000), 61_000, LIMIT)).toBe(60_000);
    expect(quietNeededMs(seen(1_000), 61_001, LIMIT)).toBe(30_000);
    // A refresh from a clock ahead of ours: the whole limit.
    expect(quietNeededMs(seen(90_000), 61_000, LIMIT)).toBe(60_000);
  });

  it('is expired once watched unchanged that long, not a millisecond before', () => {
    const none = new Set<string>();
    expect(staleReason(seen(1_000), 61_001, LIMIT, none, 29_999)).toBeUndefined();
    expect(staleReason(seen(1_000), 61_001, LIMIT, none, 30_000)).toBe('expired');
    expect(staleReason(seen(60_000), 61_000, LIMIT, none, 59_999)).toBeUndefined();
    expect(staleReason(seen(60_000), 61_000, LIMIT, none, 60_000)).toBe('expired');
  });
});
