import { describe, it } from 'vitest';
import { holding } from '../state/signalled-state-cli.js';
import { useTempDirs } from '../state/helpers.js';
import { expectStoppedWhileConnecting } from './signalled-while-connecting.js';

// Review 39 (cli-39) 3: `state migrate` catches Ctrl-C and SIGTERM (a wait for either lock ends,
// a copy stops at its next record), but while it connects to a PostgreSQL server that does not
// answer, the first Ctrl-C was heard by nobody: it waited the connect out (10 s by default,
// --state-connect-timeout) and then failed with "could not connect", exit 1. Nothing was
// copied yet: it should stop at once, `interrupted (SIGINT): nothing was copied`, exit 130.

const tempDir = useTempDirs();

describe('state migrate to a PostgreSQL store that does not answer', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'stops at the first %s while it connects, nothing copied',
    async (signal) => {
      const from = await holding(`${await tempDir()}/state`, 'gold');
      await expectStoppedWhileConnecting(
        (url) => ['state', 'migrate', '--from', from, '--to', url],
        signal,
        'nothing was copied',
      );
    },
    60_000,
  );
});
