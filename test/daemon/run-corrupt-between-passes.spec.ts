import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js';
import type { ObservedRequest } from '../../src/emulator/context.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv, type ControllerProcess, type LogLine } from './helpers/controller.js';
import { controllerSpec, statusWhen, type ControllerSpec } from './helpers/controller-spec.js';

/**
 * A controller keeps the records it read between its passes (cachedReads), read again only when
 * the store's serial moves: a record changed between two passes by something that bypasses the
 * store (a disk fault, an editor, a restore of one file) moves no serial. A pass a manifest change
 * started then planned from the kept copy: with a record spoiled, it applied its steps for the
 * other audiences and failed with STATE_CORRUPT only at its read of the records after them; with
 * a record validly edited, it acted on the old copy. A controller must not act on a picture it
 * cannot confirm.
 *
 * Here: the built controller creates gold and silver; gold's record is then changed outside the
 * store and silver's manifest changed, which the directory watch makes a pass of.
 */
const spec = controllerSpec('run-corrupt-between-passes-');

type Running = {
  em: RunningEmulator;
  controller: ControllerProcess;
  dir: string;
  /** gold's record file. */
  record: string;
};

async function goldAndSilverCreated(from: ControllerSpec): Promise<Running> {
  const { em, root } = await from.setUp();
  const dir = path.join(root, 'manifests');
  const state = path.join(root, 'state');
  await mkdir(dir);
  for (const name of ['gold', 'silver'])
    await writeFile(path.join(dir, `${name}.yaml`), manifestYaml(name, { ingestion: { onCreate: false } }));
  const controller = await from.start(
    [
      ...['--dir', dir, '--state', state, '--interval', '1h', '--refresh-interval', '1h'],
      ...['--resync-interval', '1h', '--backoff-base', '50ms', '--backoff-max', '200ms'],
    ],
    controllerEnv(em),
  );
  await statusWhen(
    controller,
    (s) =>
      s.reconcile.lastResult === 'success' &&
      s.audiences.length === 2 &&
      s.audiences.every((a) => a.state === 'in-sync'),
    'gold and silver created',
  );
  return { em, controller, dir, record: path.join(state, 'audiences', 'prod', 'gold.json') };
}

/** The requests other than GETs from now on. */
function writesFrom(em: RunningEmulator): ObservedRequest[] {
  const writes: ObservedRequest[] = [];
  em.control.observeRequests((request) => {
    if (request.method !== 'GET') writes.push(request);
  });
  return writes;
}

async function changeSilver(dir: string): Promise<void> {
  await writeFile(
    path.join(dir, 'silver.yaml'),
    manifestYaml('silver', { spec: { description: 'Silver, changed' }, ingestion: { onCreate: false } }),
  );
}

function remote(em: RunningEmulator, name: string) {
  return em.control
    .listAudiences(DEMO_CLIENT.orgId, 'prod')
    .find((a) => a.audienceName === `Audience ${name}`);
}

describe('a record changed outside the store between two passes of a running controller', () => {
  it("spoiled: stops the next pass before its steps, and once mended that pass's steps are applied", async () => {
    const { em, controller, dir, record } = await goldAndSilverCreated(spec);
    const good = await readFile(record, 'utf8');
    await writeFile(record, '{ not json');
    const writes = writesFrom(em);
    await changeSilver(dir);
    // The pass the change started, and a retry of it.
    const corrupt = (line: LogLine) => line.msg === 'reconcile failed' && line['code'] === 'STATE_CORRUPT';
    await controller.waitForLog(() => controller.logs.filter(corrupt).length >= 2, 20_000);

    expect(writes).toEqual([]);
    expect(remote(em, 'silver')?.description).toBe('About silver');
    const status = await controller.status();
    expect(status.readiness).toMatchObject({ ready: false });
    expect(status.reconcile.lastError?.code).toBe('STATE_CORRUPT');

    await writeFile(record, good);
    const mended = await statusWhen(
      controller,
      (s) => s.reconcile.lastResult === 'success',
      'a pass succeeded once the record was mended',
    );
    expect(mended.readiness).toEqual({ ready: true });
    expect(remote(em, 'silver')?.description).toBe('Silver, changed');
  });

  it('validly edited: the next pass plans from the record as it is now, not from the copy', async () => {
    const { em, controller, dir, record } = await goldAndSilverCreated(spec);
    const gold = remote(em, 'gold')!;
    const silver = remote(em, 'silver')!;
    // As if gold's last apply had been of another description: a plan from this record updates gold.
    const edited = JSON.parse(await readFile(record, 'utf8')) as {
      applied: { hash: string; spec: { description: string } };
    };
    expect(edited.applied.spec.description).toBe('About gold');
    edited.applied.spec.description = 'Edited outside the store';
    edited.applied.hash = 'edited outside the store';
    await writeFile(record, `${JSON.stringify(edited, null, 2)}\n`);
    const writes = writesFrom(em);
    const logsBefore = controller.logs.length;
    await changeSilver(dir);
    await controller.waitForLog(
      (line) => line.msg === 'reconcile finished' && controller.logs.indexOf(line) >= logsBefore,
      20_000,
    );

    // One pass: silver's change, and gold's update that the record as edited asks for.
    const patched = writes.filter((request) => request.method === 'PATCH').map((request) => request.url);
    expect(patched.sort()).toEqual(
      [gold.audienceId, silver.audienceId].map((id) => `/data/core/ais/external-audience/${id}`).sort(),
    );
    expect(remote(em, 'silver')?.description).toBe('Silver, changed');
    expect((await controller.status()).readiness).toEqual({ ready: true });
  });
});
