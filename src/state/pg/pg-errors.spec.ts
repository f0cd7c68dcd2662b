import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { pgError } from './pg-errors.js';

const TIMEOUTS = { connectMs: 10_000, queryMs: 30_000 };

/** What node-postgres throws for the server's ErrorResponse with SQLSTATE `code`. */
function refusal(code: string): pg.DatabaseError {
  const error = new pg.DatabaseError('refused', 0, 'error');
  error.code = code;
  return error;
}

// The store is shown without its URL's user information (never printed: safeUrl), so "the
// server refused this user" said nothing of which user.
describe('an authentication refusal', () => {
  // The user as node-postgres's settings hold it (the display no longer names it, bae77a63).
  it.each([
    [
      '28P01',
      'postgres://app%40ops:s3cret@db.internal:5432/audiences',
      'app@ops',
      'the password of user "app@ops" was refused [28P01]',
    ],
    [
      '28000',
      'postgres://app:s3cret@db.internal:5432/audiences',
      'app',
      'the server refused user "app": refused [28000]',
    ],
    [
      '28000',
      'postgres://db.internal:5432/audiences',
      undefined,
      'the server refused the user (none in the URL: PGUSER, else the login name): refused [28000]',
    ],
  ])('%s of %s names the user, never the password', (code, url, user, said) => {
    const message = pgError(refusal(code), url, TIMEOUTS, user).message;
    expect(message).toBe(`PostgreSQL state postgres://db.internal:5432/audiences: ${said}`);
  });
});

describe("the server's cancel at statement_timeout", () => {
  function cancel(message: string): pg.DatabaseError {
    const error = new pg.DatabaseError(message, 0, 'error');
    error.code = '57014';
    return error;
  }

  it('is a timeout naming the setting and the flag that raises it, in one line', () => {
    const error = pgError(
      cancel('canceling statement due to statement timeout'),
      'postgres://db.internal:5432/audiences',
      TIMEOUTS,
      'app',
    );
    expect(error.code).toBe('STATE_DB_TIMEOUT');
    expect(error.message).toBe(
      'PostgreSQL state postgres://db.internal:5432/audiences: the server cancelled a statement at its statement_timeout: it ran, or waited for a lock, for the query timeout (30 s, which audiencectl sets as the statement_timeout of its sessions; --state-query-timeout or AUDIENCECTL_STATE_QUERY_TIMEOUT raises the limit) [57014]',
    );
  });

  it("a cancel someone asked for (pg_cancel_backend) keeps the server's words", () => {
    const error = pgError(
      cancel('canceling statement due to user request'),
      'postgres://db.internal:5432/audiences',
      TIMEOUTS,
    );
    expect(error.code).toBe('STATE_DB_ERROR');
    expect(error.message).toBe(
      'PostgreSQL state postgres://db.internal:5432/audiences: canceling statement due to user request [57014]',
    );
  });
});
