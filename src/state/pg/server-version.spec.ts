import { describe, expect, it } from 'vitest';
import { StateError } from '../errors.js';
import { assertServerVersion } from './server-version.js';

// Review 35c (suspected): on PostgreSQL 12, init applied migration 6 (its trigger's PL/pgSQL body
// is resolved only when it first runs) and every later write of `meta` failed with `function
// gen_random_uuid() does not exist`. No PostgreSQL 12 runs here: the version logic is checked
// alone; test/state/pg-server-version.spec.ts checks what the real server reports.
const display = 'postgres://app@db:5432/audiences?schema=audiencectl';

function refusal(num: number, text: string): unknown {
  try {
    assertServerVersion({ num, text }, display);
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('assertServerVersion', () => {
  it('refuses PostgreSQL 12 in one line naming the version and what to do', () => {
    const error = refusal(120017, '12.17 (Debian 12.17-1.pgdg120+1)');
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).code).toBe('STATE_SERVER_TOO_OLD');
    expect((error as StateError).message).toBe(
      'PostgreSQL state postgres://app@db:5432/audiences?schema=audiencectl: the server runs PostgreSQL 12.17, ' +
        'and audiencectl needs 13 or later (its schema calls gen_random_uuid(), built in from 13); ' +
        'upgrade the server, or point the state at one running 13 or later',
    );
  });

  it.each([
    [90624, '9.6.24'],
    [129999, '12.99'],
  ])('refuses %i', (num, text) => {
    expect((refusal(num, text) as StateError).code).toBe('STATE_SERVER_TOO_OLD');
  });

  it.each([
    [130000, '13.0'],
    [130014, '13.14'],
    [180004, '18.4'],
  ])('accepts %i', (num, text) => {
    expect(refusal(num, text)).toBeUndefined();
  });
});
