import { describe, expect, it } from 'vitest';
import { HANG_GUARD_MS, runCliGuarded } from '../helpers/hang-guard.js';

// A --state directory that cannot be made is one line naming it, exit 1. A new path under
// /proc (/proc/x/state) made `init` spin a core for ever in Node's recursive mkdir, deaf to
// Ctrl-C and SIGTERM (the emulator's --data-dir did too: test/emulator/data-dir-errors.spec.ts).

describe('init --state under /proc', () => {
  it('says in one line which mkdir the file system refused, exit 1, no spin', async () => {
    const result = await runCliGuarded(['init', '--emulator', '--state', '/proc/x/state']);
    expect(result.hung, `killed after ${HANG_GUARD_MS} ms; it printed: ${result.stderr}`).toBe(false);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'Error: cannot create state directory /proc/x/state: mkdir /proc/x failed (ENOENT: the file system refused it)\n',
    );
  });
});
