import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import type { ObservedRequest } from '../../src/emulator/context.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv, passEnded, quietControllerArgs, remoteAudience } from './helpers/controller.js';
import { controllerSpec, statusWhen } from './helpers/controller-spec.js';

/**
 * Pass 52's left undone (store.md, 4). A controller's pass plans from the records kept since the
 * last pass (cachedReads) and, before its first call, confirms those its steps touch against their
 * versions then (run-corrupt-between-passes). A pass that wrote before its review (the outcome of
 * a run left in progress, recorded as it plans) skipped that check: its own write moved the
 * versions, so the records were read again but the plan was not made again. A record edited
 * outside the store between the passes was then acted on as the copy held it.
 *
 * Here: gold's first run outlasts the first pass (stages of an hour); silver's record and its
 * audience's TTL are edited by hand, gold's run ends (the service's clock moved past it) and
 * silver's manifest changes. The pass records gold's run and PATCHes silver.
 */
const spec = controllerSpec('run-outcome-before-review-');
const HOUR = 3_600_000;

describe("a pass that records a run's outcome before its review", () => {
  it('plans again from a record validly edited outside the store since the last pass', async () => {
    const { em, root } = await spec.setUp({ operationDelayMs: 10, runStageDelayMs: HOUR });
    const dir = path.join(root, 'manifests');
    const state = path.join(root, 'state');
    await mkdir(dir);
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold'));
    await writeFile(
      path.join(dir, 'silver.yaml'),
      manifestYaml('silver', { ingestion: { onCreate: false } }),
    );
    const controller = await spec.start(
      [
        ...quietControllerArgs(dir, state),
        // The first pass follows gold's run this long, then leaves it in progress. At the
        // default (30 s) the pass ended as statusWhen's 30 s guard did: a race lost on a busy machine.
        ...['--run-wait', '1s'],
      ],
      controllerEnv(em),
    );
    await statusWhen(
      controller,
      (s) => s.reconcile.lastResult === 'success' && s.audiences.length === 2,
      'gold and silver created',
    );
    const silverRecord = path.join(state, 'audiences', 'prod', 'silver.json');
    const goldRecord = path.join(state, 'audiences', 'prod', 'gold.json');
    const goldBefore = await readFile(goldRecord, 'utf8');
    expect(
      (JSON.parse(goldBefore) as { runs: Array<{ status: string }> }).runs.map((run) => run.status),
      "premise: gold's run is left in progress",
    ).not.toContain('SUCCESS');

    // A person set silver's TTL in the UI and recorded it as applied (as run-corrupt-between-passes).
    const silver = remoteAudience(em, 'silver')!;
    const manifestTtl = silver.ttlInDays;
    em.control.uiEditAudience(DEMO_CLIENT.orgId, 'prod', silver.audienceId, { ttlInDays: manifestTtl + 10 });
    const edited = JSON.parse(await readFile(silverRecord, 'utf8')) as {
      applied: { hash: string; spec: { ttlInDays: number } };
    };
    edited.applied.spec.ttlInDays = manifestTtl + 10;
    edited.applied.hash = 'edited outside the store';
    await writeFile(silverRecord, `${JSON.stringify(edited, null, 2)}\n`);
    // gold's run ends.
    em.control.updateSettings({ clockOffsetMs: 3 * HOUR });

    const writes: ObservedRequest[] = [];
    em.control.observeRequests((request) => {
      if (request.method !== 'GET') writes.push(request);
    });
    const logsBefore = controller.logs.length;
    await writeFile(
      path.join(dir, 'silver.yaml'),
      manifestYaml('silver', { spec: { description: 'Silver, changed' }, ingestion: { onCreate: false } }),
    );
    const ended = await passEnded(controller, logsBefore);

    expect(ended.msg).toBe('reconcile finished');
    expect(await readFile(goldRecord, 'utf8'), "premise: the pass recorded gold's run").not.toBe(goldBefore);
    expect(writes.map((request) => `${request.method} ${request.url}`)).toEqual([
      `PATCH /data/core/ais/external-audience/${silver.audienceId}`,
    ]);
    // Planned from silver's record as it is now: the TTL set back to its manifest's.
    expect(remoteAudience(em, 'silver')).toMatchObject({
      description: 'Silver, changed',
      ttlInDays: manifestTtl,
    });
    expect(
      controller.logs
        .slice(logsBefore)
        .some(
          (line) =>
            line.msg ===
            'records changed outside the state store since they were read: planning again from them',
        ),
    ).toBe(true);
  });
});
