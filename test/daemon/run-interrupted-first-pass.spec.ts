import { renameSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv } from './helpers/controller.js';
import { appliedByFirstController, controllerSpec, statusWhen } from './helpers/controller-spec.js';

/**
 * /status audiences[] after a controller's FIRST pass failed once it had published its plan
 * (plan.state `interrupted`): the audiences of the plan's steps were listed as /plan marks them,
 * the others as the pass before listed them, and there was none. The audiences recorded in sync,
 * which the plan had no step for, were missing: audiences[] said a controller with three
 * recorded audiences had one, until a pass succeeded (one that keeps failing: never).
 *
 * Here: a first controller creates gold and silver; bronze's manifest is added, and as the next
 * controller (the built CLI) creates bronze, the sandbox's folder of records becomes a file:
 * bronze's record cannot be written, nor the records read after the steps.
 */
const spec = controllerSpec('run-interrupted-first-pass-');

describe('a controller whose first pass fails after its steps', () => {
  it('lists the recorded audiences the plan had no step for, in sync with their ids, beside the failed one', async () => {
    const { em, dir, state, args } = await appliedByFirstController(spec, ['gold', 'silver']);
    const ids = new Map(
      em.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => [a.audienceName, a.audienceId]),
    );
    await writeFile(
      path.join(dir, 'bronze.yaml'),
      manifestYaml('bronze', { ingestion: { onCreate: false } }),
    );
    let broken = false;
    em.control.observeRequests((request) => {
      if (broken || request.endpoint !== 'createAudience') return;
      broken = true;
      // Synchronous, both: nothing of the controller runs between them.
      renameSync(path.join(state, 'audiences', 'prod'), path.join(state, 'prod-moved'));
      writeFileSync(path.join(state, 'audiences', 'prod'), 'not a directory');
    });

    // Hourly retries: the failed first pass's list is the one read.
    const controller = await spec.start(
      [...args, '--resync-interval', '1h', '--backoff-base', '1h', '--backoff-max', '1h'],
      controllerEnv(em),
    );
    const shown = await statusWhen(
      controller,
      (s) => s.reconcile.lastResult === 'failure' && s.plan?.state === 'interrupted',
      'the first pass interrupted',
    );
    expect(shown.plan).toMatchObject({ results: { failed: 1 }, left: 1 });
    expect(
      (await (await fetch(`${controller.url}/plan`)).text()).includes(
        'prod/bronze</code>: + create (failed)',
      ),
    ).toBe(true);
    expect(shown.audiences.map(({ key, state, audienceId }) => [key, state, audienceId])).toEqual([
      ['bronze', 'failed', undefined],
      ['gold', 'in-sync', ids.get('Audience gold')],
      ['silver', 'in-sync', ids.get('Audience silver')],
    ]);
  });
});
