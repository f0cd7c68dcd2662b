import { execFile } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import type { ObservedRequest } from '../../src/emulator/context.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv } from './helpers/controller.js';
import { appliedByFirstController, controllerSpec, statusWhen } from './helpers/controller-spec.js';

/**
 * A step's call made, its record could not be written (STATE_UNWRITABLE: a volume turned
 * read-only, a disk full, after the pass began and wrote the step's intent). The intent stays in
 * the record, so the call is settled, never repeated blindly, once the store takes writes again.
 * Meanwhile the controller cannot record what it does: not ready, one line saying why on /readyz
 * and /status, as when the store cannot be written at its lock (run-ready-state-unwritable), and
 * no second PATCH; ready again by itself once the store takes writes.
 *
 * Here: a controller (the built CLI, as nobody: root writes anywhere) runs on gold and silver;
 * silver's manifest is changed, and as its PATCH reaches the service the sandbox's folder of
 * records is made read-only (readable: only the writes fail); later it is made writable again.
 */
const run = promisify(execFile);
const spec = controllerSpec('run-unwritable-after-call-');

type Ready = { status: number; body: { ready: boolean; reason?: string } };

async function readyz(url: string): Promise<Ready> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as Ready['body'] };
}

describe("a controller whose store stops taking writes during a step's call", () => {
  it('keeps the intent, is not ready with one line, calls no more, and settles the call once it can write', async () => {
    const applied = await appliedByFirstController(spec, ['gold', 'silver']);
    const { em, root, dir, state } = applied;
    const as = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    await chmod(root, 0o755);
    if ('uid' in as) await run('chown', ['-R', '65534:65534', root]);
    const controller = await spec.start(
      [...applied.args, '--resync-interval', '1h', '--backoff-base', '50ms', '--backoff-max', '200ms'],
      controllerEnv(em),
      { as },
    );
    await statusWhen(controller, (s) => s.reconcile.lastResult === 'success', 'the first pass');

    const folder = path.join(state, 'audiences', 'prod');
    const writes: ObservedRequest[] = [];
    em.control.observeRequests((request) => {
      // Reads (a bulk get is a POST) are not calls that change anything.
      if (request.method === 'GET' || request.endpoint === 'bulkGetAudiences') return;
      writes.push(request);
      // Before the answer leaves: the record of the call cannot be written.
      if (request.method === 'PATCH') chmodSync(folder, 0o555);
    });
    await writeFile(
      path.join(dir, 'silver.yaml'),
      manifestYaml('silver', { spec: { description: 'Silver, changed' }, ingestion: { onCreate: false } }),
    );
    await statusWhen(
      controller,
      (s) => s.reconcile.lastError?.code === 'STATE_UNWRITABLE',
      'a pass failed: the store cannot be written',
    );

    const unready = await readyz(controller.url);
    expect(unready.status).toBe(503);
    expect(unready.body.reason).toMatch(/^the state store cannot be written: STATE_UNWRITABLE: /);
    expect(unready.body.reason).toContain('silver');
    expect(unready.body.reason).not.toContain('\n');
    expect((await controller.status()).readiness).toEqual({ ready: false, reason: unready.body.reason });
    // The intent of the call is kept: the next pass that can write settles it.
    const record = JSON.parse(await readFile(path.join(folder, 'silver.json'), 'utf8')) as {
      intent?: { kind: string };
    };
    expect(record.intent?.kind).toBe('patch');
    expect(writes.map((w) => `${w.method} ${w.endpoint}`)).toEqual(['PATCH patchAudience']);

    chmodSync(folder, 0o755);
    const mended = await statusWhen(
      controller,
      (s) => s.reconcile.lastResult === 'success' && s.readiness.ready,
      'ready again once the store takes writes',
    );
    expect(mended.audiences.map((a) => `${a.key} ${a.state}`)).toEqual(['gold in-sync', 'silver in-sync']);
    const settled = JSON.parse(await readFile(path.join(folder, 'silver.json'), 'utf8')) as {
      intent?: unknown;
    };
    expect(settled.intent).toBeUndefined();
    // Settled from what the service holds: the PATCH is not made a second time.
    expect(writes.map((w) => `${w.method} ${w.endpoint}`)).toEqual(['PATCH patchAudience']);
    const silver = em.control
      .listAudiences(DEMO_CLIENT.orgId, 'prod')
      .find((a) => a.audienceName === 'Audience silver');
    expect(silver?.description).toBe('Silver, changed');
  });
});
