import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import type { ObservedRequest } from '../../src/emulator/context.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv, type LogLine } from './helpers/controller.js';
import { controllerSpec, statusWhen } from './helpers/controller-spec.js';

/**
 * A controller keeps the records it read between its passes (cachedReads), read again only when
 * the store's serial moves: a record spoiled between two passes by something that bypasses the
 * store (a disk fault, an editor) moves no serial. A pass a manifest change started then planned
 * from the copy, applied its steps for the other audiences, and only failed with STATE_CORRUPT at
 * its read of the records after them (seen by hand, controller-49). A controller must not act on
 * a picture it cannot confirm: a pass whose read of the records fails takes no step, whatever
 * read fails.
 *
 * Here: the built controller creates gold and silver; gold's record is then overwritten with
 * text that is not JSON and silver's manifest changed, which the directory watch makes a pass of;
 * later gold's record is written back as it was.
 */
const spec = controllerSpec('run-corrupt-between-passes-');

describe('a record spoiled outside the store between two passes of a running controller', () => {
  it("stops the next pass before its steps, and once mended that pass's steps are applied", async () => {
    const { em, root } = await spec.setUp();
    const dir = path.join(root, 'manifests');
    const state = path.join(root, 'state');
    await mkdir(dir);
    for (const name of ['gold', 'silver'])
      await writeFile(path.join(dir, `${name}.yaml`), manifestYaml(name, { ingestion: { onCreate: false } }));
    const controller = await spec.start(
      [
        ...['--dir', dir, '--state', state, '--interval', '1h', '--refresh-interval', '1h'],
        ...['--resync-interval', '1h', '--backoff-base', '50ms', '--backoff-max', '200ms'],
      ],
      controllerEnv(em),
    );
    await statusWhen(
      controller,
      (s) => s.audiences.length === 2 && s.audiences.every((a) => a.state === 'in-sync'),
      'gold and silver created',
    );

    const record = path.join(state, 'audiences', 'prod', 'gold.json');
    const good = await readFile(record, 'utf8');
    await writeFile(record, '{ not json');
    const writes: ObservedRequest[] = [];
    em.control.observeRequests((request) => {
      if (request.method !== 'GET') writes.push(request);
    });
    await writeFile(
      path.join(dir, 'silver.yaml'),
      manifestYaml('silver', { spec: { description: 'Silver, changed' }, ingestion: { onCreate: false } }),
    );
    // The pass the change started, and a retry of it.
    const corrupt = (line: LogLine) => line.msg === 'reconcile failed' && line['code'] === 'STATE_CORRUPT';
    await controller.waitForLog(() => controller.logs.filter(corrupt).length >= 2, 20_000);

    expect(writes).toEqual([]);
    const silver = () =>
      em.control.listAudiences(DEMO_CLIENT.orgId, 'prod').find((a) => a.audienceName === 'Audience silver');
    expect(silver()?.description).toBe('About silver');
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
    expect(silver()?.description).toBe('Silver, changed');
  });
});
