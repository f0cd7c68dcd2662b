import { describe, expect, it } from 'vitest';
import { StateError, StateLockedError, StateWriteError } from '../state/errors.js';
import { standingFault } from './standing-fault.js';

describe('standingFault', () => {
  it('calls a store that takes no writes a fault a person must mend: a directory refused or full, a read-only PostgreSQL server', () => {
    const full = new StateWriteError(
      'STATE_UNWRITABLE',
      'cannot write state file /s/meta.json: no space left on device',
    );
    expect(standingFault(full)).toBe('the state store cannot be written');
    const standby = new StateError('STATE_READ_ONLY', 'the state store db is on a read-only server: …');
    expect(standingFault(standby)).toBe('the state store cannot be written');
  });

  it('tells it from a store that cannot be read, and leaves a lock held by an apply to the next pass', () => {
    expect(standingFault(new StateError('STATE_CORRUPT', 'state file x is not valid JSON'))).toBe(
      'the state store cannot be read',
    );
    expect(
      standingFault(new StateLockedError('STATE_LOCKED', 'the state lock is held by audiencectl apply')),
    ).toBeUndefined();
    expect(standingFault(new Error('boom'))).toBeUndefined();
  });
});
