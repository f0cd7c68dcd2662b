import { describe, it } from 'vitest';
import { expectStoppedWhileConnecting } from './signalled-while-connecting.js';

// Review 38v, L-1: `state import|forget|settle-run` now catch Ctrl-C and SIGTERM (9a0a170c) and
// decide where they stop, but only once the store is open. On a PostgreSQL store the open
// connects (10 s by default, --state-connect-timeout), and the first Ctrl-C there is heard by
// nobody: the command waits the connect out and then fails with "could not connect", exit 1.
// Before that commit Node's default ended it at once. Nothing was done yet: it should stop
// at once, `interrupted (SIGINT): nothing was changed`, exit 130.

describe('state forget on a PostgreSQL store that does not answer', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'stops at the first %s while it connects',
    async (signal) => {
      await expectStoppedWhileConnecting(
        (url) => ['state', 'forget', 'gold', '--sandbox', 'prod', '--state', url],
        signal,
        'nothing was changed',
      );
    },
    60_000,
  );
});
