import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import type { ObservedRequest } from '../../src/emulator/context.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv, type LogLine } from './helpers/controller.js';
import { appliedByFirstController, controllerSpec, statusWhen } from './helpers/controller-spec.js';

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

type Ready = { status: number; body: { ready: boolean; reason?: string } };

async function readyz(url: string): Promise<Ready> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as Ready['body'] };
}

describe('a controller whose state store holds a record that is not JSON', () => {
  it('is not ready, says why on /readyz and /status, takes no step, and is ready again once the record is mended', async () => {
    const { em, dir, state, args } = await appliedByFirstController(spec, ['gold', 'silver']);
    const record = path.join(state, 'audiences', 'prod', 'gold.json');
    const good = await readFile(record, 'utf8');
    await writeFile(record, '{ not json');
    await writeFile(
      path.join(dir, 'silver.yaml'),
      manifestYaml('silver', { spec: { description: 'Silver, changed' }, ingestion: { onCreate: false } }),
    );
    const writes: ObservedRequest[] = [];
    em.control.observeRequests((request) => {
      if (request.method !== 'GET') writes.push(request);
    });

    const controller = await spec.start(
      [...args, '--resync-interval', '1h', '--backoff-base', '50ms', '--backoff-max', '200ms'],
      controllerEnv(em),
    );
    // Two passes failed (the startup pass and a retry), both before they planned.
    const corrupt = (line: LogLine) => line.msg === 'reconcile failed' && line['code'] === 'STATE_CORRUPT';
    await controller.waitForLog(() => controller.logs.filter(corrupt).length >= 2);

    const unready = await readyz(controller.url);
    expect(unready.status).toBe(503);
    expect(unready.body.ready).toBe(false);
    expect(unready.body.reason).toMatch(
      /^the state store cannot be read: STATE_CORRUPT: state file .*gold\.json is not valid JSON/,
    );
    expect(unready.body.reason).not.toContain('\n');
    const status = await controller.status();
    expect(status.readiness).toEqual({ ready: false, reason: unready.body.reason });
    expect(status.reconcile.lastError?.code).toBe('STATE_CORRUPT');
    expect(writes).toEqual([]);
    const silver = () =>
      em.control.listAudiences(DEMO_CLIENT.orgId, 'prod').find((a) => a.audienceName === 'Audience silver');
    expect(silver()?.description).toBe('About silver');

    await writeFile(record, good);
    const mended = await statusWhen(
      controller,
      (s) => s.reconcile.lastResult === 'success',
      'a pass succeeded once the record was mended',
    );
    expect(mended.readiness).toEqual({ ready: true });
    expect(await readyz(controller.url)).toEqual({ status: 200, body: { ready: true } });
    expect(silver()?.description).toBe('Silver, changed');
  });
});
