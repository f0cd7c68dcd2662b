import { execFile } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import type { ObservedRequest } from '../../src/emulator/context.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv, type LogLine } from './helpers/controller.js';
import { appliedByFirstController, controllerSpec, statusWhen } from './helpers/controller-spec.js';

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

type Ready = { status: number; body: { ready: boolean; reason?: string } };

async function readyz(url: string): Promise<Ready> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as Ready['body'] };
}

describe('a controller whose state directory cannot be written', () => {
  it('is not ready, says why on /readyz and /status, calls nothing but reads, and is ready again once it can write', async () => {
    const { em, root, dir, state, args } = await appliedByFirstController(spec, ['gold', 'silver']);
    await writeFile(
      path.join(dir, 'silver.yaml'),
      manifestYaml('silver', { spec: { description: 'Silver, changed' }, ingestion: { onCreate: false } }),
    );
    // Root writes anywhere: the controller runs as nobody then (CI runs as root).
    const as = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    await chmod(root, 0o755);
    if ('uid' in as) await run('chown', ['-R', '65534:65534', root]);
    await chmod(state, 0o555);
    const writes: ObservedRequest[] = [];
    em.control.observeRequests((request) => {
      if (request.method !== 'GET') writes.push(request);
    });

    const controller = await spec.start(
      [...args, '--resync-interval', '1h', '--backoff-base', '50ms', '--backoff-max', '200ms'],
      controllerEnv(em),
      as,
    );
    // Two passes failed (the startup pass and a retry).
    const unwritable = (line: LogLine) =>
      line.msg === 'reconcile failed' && line['code'] === 'STATE_UNWRITABLE';
    await controller.waitForLog(() => controller.logs.filter(unwritable).length >= 2);

    const unready = await readyz(controller.url);
    expect(unready.status).toBe(503);
    expect(unready.body.ready).toBe(false);
    expect(unready.body.reason).toMatch(
      /^the state store cannot be written: STATE_UNWRITABLE: cannot create the state lock /,
    );
    expect(unready.body.reason).not.toContain('\n');
    const status = await controller.status();
    expect(status.readiness).toEqual({ ready: false, reason: unready.body.reason });
    expect(status.reconcile.lastError?.code).toBe('STATE_UNWRITABLE');
    expect(writes).toEqual([]);
    const silver = () =>
      em.control.listAudiences(DEMO_CLIENT.orgId, 'prod').find((a) => a.audienceName === 'Audience silver');
    expect(silver()?.description).toBe('About silver');

    await chmod(state, 0o755);
    const mended = await statusWhen(
      controller,
      (s) => s.reconcile.lastResult === 'success',
      'a pass succeeded once the store took writes',
    );
    expect(mended.readiness).toEqual({ ready: true });
    expect(await readyz(controller.url)).toEqual({ status: 200, body: { ready: true } });
    expect(silver()?.description).toBe('Silver, changed');
  });
});
