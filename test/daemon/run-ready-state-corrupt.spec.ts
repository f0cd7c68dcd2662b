import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'vitest';
import { appliedByFirstController, controllerSpec } from './helpers/controller-spec.js';
import { expectReadyAgain, expectUnready, startedOnSpoiledStore } from './helpers/spoiled-store.js';

/**
 * A controller whose state store cannot be read (a record that is not JSON: STATE_CORRUPT) cannot
 * reconcile: every pass fails before it plans. It stayed ready (/readyz 200 once the source had
 * synced; only credentials IMS refuses made it unready), so `helm test`, Argo CD and
 * `kubectl get pods` called it healthy while nothing was applied, the reason only in a log line
 * and in /status reconcile.lastError. Expected: not ready, saying why in one line on /readyz and
 * on /status, no step taken meanwhile, and ready again by itself once the record is mended.
 *
 * Here: a first controller creates gold and silver; gold's record is then overwritten with
 * text that is not JSON and silver's manifest changed, and a second controller (the built CLI)
 * started on them; later gold's record is written back as it was.
 */
const spec = controllerSpec('run-ready-state-corrupt-');

describe('a controller whose state store holds a record that is not JSON', () => {
  it('is not ready, says why on /readyz and /status, takes no step, and is ready again once the record is mended', async () => {
    const applied = await appliedByFirstController(spec, ['gold', 'silver']);
    const record = path.join(applied.state, 'audiences', 'prod', 'gold.json');
    const good = await readFile(record, 'utf8');
    await writeFile(record, '{ not json');

    // Two passes failed (the startup pass and a retry), both before they planned.
    const spoiled = await startedOnSpoiledStore(spec, applied, 'STATE_CORRUPT');
    await expectUnready(
      spoiled,
      'STATE_CORRUPT',
      /^the state store cannot be read: STATE_CORRUPT: state file .*gold\.json is not valid JSON/,
    );

    await writeFile(record, good);
    await expectReadyAgain(spoiled, 'a pass succeeded once the record was mended');
  });
});
