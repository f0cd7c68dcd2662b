import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { controllerEnv, type LogLine } from './helpers/controller.js';
import { appliedByFirstController, controllerSpec, statusWhen } from './helpers/controller-spec.js';

/**
 * A controller whose first pass fails before it plans (here a record that is not JSON:
 * STATE_CORRUPT) has read no record: /status showed audiences[] `[]`, as a controller with no
 * audience shows, while two existed; only reconcile.lastError hinted why, and GET /plan said
 * it in its own words ("No plan has been computed yet: the last pass … failed … before it
 * planned (…)"). Expected: /status says why the list is empty in those same words
 * (audiencesUnknown), null once a pass has listed them.
 */
const spec = controllerSpec('run-first-pass-unknown-audiences-');

describe('a controller whose first pass failed before it planned', () => {
  it('says on /status why audiences[] is empty, as /plan says why there is no plan, until a pass lists them', async () => {
    const { em, state, args } = await appliedByFirstController(spec, ['gold', 'silver']);
    const record = path.join(state, 'audiences', 'prod', 'gold.json');
    const good = await readFile(record, 'utf8');
    await writeFile(record, '{ not json');

    const controller = await spec.start(
      [...args, '--resync-interval', '1h', '--backoff-base', '50ms', '--backoff-max', '200ms'],
      controllerEnv(em),
    );
    const corrupt = (line: LogLine) => line.msg === 'reconcile failed' && line['code'] === 'STATE_CORRUPT';
    await controller.waitForLog(corrupt);

    const status = await statusWhen(
      controller,
      (s) => s.reconcile.lastResult === 'failure' && !s.reconcile.running,
      'a failed pass, ended',
    );
    expect(status.audiences).toEqual([]);
    const { lastStartedAt, lastError } = status.reconcile;
    expect(status.audiencesUnknown).toBe(
      `the last pass, started at ${lastStartedAt}, failed at ${lastError?.at} before it planned (STATE_CORRUPT: ${lastError?.message})`,
    );
    expect(status.audiencesUnknown).toMatch(/\(STATE_CORRUPT: state file .*gold\.json is not valid JSON/);
    const plan = await fetch(`${controller.url}/plan`);
    expect(plan.status).toBe(404);
    const told = await plan.text();
    expect(told).toMatch(/^No plan has been computed yet: the last pass, started at /);

    await writeFile(record, good);
    const listed = await statusWhen(
      controller,
      (s) => s.reconcile.lastResult === 'success',
      'a pass succeeded once the record was mended',
    );
    expect(listed.audiencesUnknown).toBeNull();
    expect(listed.audiences.map((a) => `${a.key} ${a.state}`).sort()).toEqual([
      'gold in-sync',
      'silver in-sync',
    ]);
  });
});
