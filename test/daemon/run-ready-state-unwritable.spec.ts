import { execFile } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, it } from 'vitest';
import { appliedByFirstController, controllerSpec } from './helpers/controller-spec.js';
import { expectReadyAgain, expectUnready, startedOnSpoiledStore } from './helpers/spoiled-store.js';

/**
 * A controller whose state store cannot be written (a read-only volume, a full disk: here the
 * state directory made read-only to the user the controller runs as) cannot record what it does:
 * every pass failed with STATE_UNWRITABLE, yet it stayed ready (/readyz 200), as a store that
 * cannot be read did before 27b1b6d7. Expected, by the same rule: not ready, saying why in one
 * line on /readyz and on /status, no call but reads to the service meanwhile, and ready again by
 * itself once the store takes writes.
 *
 * Here: a first controller creates gold and silver; silver's manifest is then changed, the state
 * directory made read-only, and a second controller (the built CLI) started on them; later the
 * directory is made writable again.
 */
const run = promisify(execFile);
const spec = controllerSpec('run-ready-state-unwritable-');

describe('a controller whose state directory cannot be written', () => {
  it('is not ready, says why on /readyz and /status, calls nothing but reads, and is ready again once it can write', async () => {
    const applied = await appliedByFirstController(spec, ['gold', 'silver']);
    const { root, state } = applied;
    // Root writes anywhere: the controller runs as nobody then (CI runs as root).
    const as = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    await chmod(root, 0o755);
    if ('uid' in as) await run('chown', ['-R', '65534:65534', root]);
    await chmod(state, 0o555);

    // Two passes failed (the startup pass and a retry).
    const spoiled = await startedOnSpoiledStore(spec, applied, 'STATE_UNWRITABLE', as);
    await expectUnready(
      spoiled,
      'STATE_UNWRITABLE',
      /^the state store cannot be written: STATE_UNWRITABLE: cannot create the state lock /,
    );

    await chmod(state, 0o755);
    await expectReadyAgain(spoiled, 'a pass succeeded once the store took writes');
  });
});
