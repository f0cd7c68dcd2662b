import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import type { ObservedRequest } from '../../src/emulator/context.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv, passEnded, quietControllerArgs, remoteAudience } from './helpers/controller.js';
import { controllerSpec, statusWhen } from './helpers/controller-spec.js';

/**
 * d775ea55's left undone (store.md, 4): the pass that records a run's outcome before its review
 * wrote that record as the copy kept since the last pass held it. An edit of the same record made
 * outside the store since (a person, another tool) was overwritten, and the pass planned from the
 * copy. Nothing may be lost: the outcome goes into the record as it is now, planned from.
 *
 * Here: gold's first run outlasts the first pass (stages of an hour); gold's record and its
 * audience's TTL are edited by hand, gold's run ends and gold's manifest changes. The pass
 * records gold's run and PATCHes gold: the TTL set back to the manifest's, as the record now says.
 */
const spec = controllerSpec('run-outcome-same-record-');
const HOUR = 3_600_000;

describe("a pass that records a run's outcome before its review", () => {
  it('keeps an edit of that same record made outside the store since the last pass, and plans from it', async () => {
    const { em, root } = await spec.setUp({ operationDelayMs: 10, runStageDelayMs: HOUR });
    const dir = path.join(root, 'manifests');
    const state = path.join(root, 'state');
    await mkdir(dir);
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold'));
    const controller = await spec.start(
      [
        ...quietControllerArgs(dir, state),
        // The first pass follows gold's run this long, then leaves it in progress.
        ...['--run-wait', '1s'],
      ],
      controllerEnv(em),
    );
    await statusWhen(
      controller,
      (s) => s.reconcile.lastResult === 'success' && s.audiences.length === 1,
      'gold created',
    );
    const goldRecord = path.join(state, 'audiences', 'prod', 'gold.json');
    type Stored = { applied: { hash: string; spec: { ttlInDays: number } }; runs: Array<{ status: string }> };
    const before = JSON.parse(await readFile(goldRecord, 'utf8')) as Stored;
    expect(
      before.runs.map((run) => run.status),
      "premise: gold's run is left in progress",
    ).not.toContain('SUCCESS');

    // A person set gold's TTL in the UI and recorded it as applied (as run-corrupt-between-passes).
    const gold = remoteAudience(em, 'gold')!;
    const manifestTtl = gold.ttlInDays;
    em.control.uiEditAudience(DEMO_CLIENT.orgId, 'prod', gold.audienceId, { ttlInDays: manifestTtl + 10 });
    before.applied.spec.ttlInDays = manifestTtl + 10;
    before.applied.hash = 'edited outside the store';
    await writeFile(goldRecord, `${JSON.stringify(before, null, 2)}\n`);
    // gold's run ends.
    em.control.updateSettings({ clockOffsetMs: 3 * HOUR });

    const writes: ObservedRequest[] = [];
    em.control.observeRequests((request) => {
      if (request.method !== 'GET') writes.push(request);
    });
    const logsBefore = controller.logs.length;
    await writeFile(
      path.join(dir, 'gold.yaml'),
      manifestYaml('gold', { spec: { description: 'Gold, changed' } }),
    );
    const ended = await passEnded(controller, logsBefore);

    expect(ended.msg).toBe('reconcile finished');
    const after = JSON.parse(await readFile(goldRecord, 'utf8')) as Stored;
    expect(
      after.runs.map((run) => run.status),
      "premise: the pass recorded gold's run",
    ).toContain('SUCCESS');
    expect(writes.map((request) => `${request.method} ${request.url}`)).toEqual([
      `PATCH /data/core/ais/external-audience/${gold.audienceId}`,
    ]);
    // Planned from gold's record as edited: the TTL set back to its manifest's.
    expect(remoteAudience(em, 'gold')).toMatchObject({
      description: 'Gold, changed',
      ttlInDays: manifestTtl,
    });
    expect(after.applied.spec.ttlInDays).toBe(manifestTtl);
  });
});
