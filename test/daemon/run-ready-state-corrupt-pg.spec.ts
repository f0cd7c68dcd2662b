import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import type { ObservedRequest } from '../../src/emulator/context.js';
import { manifestYaml } from '../helpers/manifests.js';
import { usePostgres } from '../state/pg.js';
import { controllerEnv, type LogLine } from './helpers/controller.js';
import { controllerSpec, statusWhen } from './helpers/controller-spec.js';

/**
 * run-ready-state-corrupt's case on a PostgreSQL store: a row whose record fails its schema (an
 * UPDATE by hand, a restore of another release's rows) fails every pass before it plans, as a
 * record file that is not JSON does. Its code is the directory store's, STATE_CORRUPT, which
 * alone made the controller unready (27b1b6d7): no process had shown it of this store. Expected:
 * not ready, the reason naming the row and never the database password, no step taken, and
 * ready again by itself once the row is mended.
 *
 * Here: a first controller (the built CLI) creates gold and silver in a fresh schema; gold's row
 * is then given a deletionPolicy no release writes and silver's manifest changed, and a second
 * controller started on them; later gold's row is written back as it was.
 */
const postgres = usePostgres();
const spec = controllerSpec('run-ready-state-corrupt-pg-');

type Ready = { status: number; body: { ready: boolean; reason?: string } };

async function readyz(url: string): Promise<Ready> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as Ready['body'] };
}

describe(
  'a controller whose PostgreSQL store holds a row that fails the record schema',
  { timeout: 90_000 },
  () => {
    it('is not ready, says why without the password, takes no step, and is ready again once the row is mended', async () => {
      const { em, root } = await spec.setUp();
      const location = await postgres.freshLocation();
      const schema = new URL(location).searchParams.get('schema') ?? '';
      const password = decodeURIComponent(new URL(location).password);
      const dir = path.join(root, 'manifests');
      await mkdir(dir);
      for (const name of ['gold', 'silver'])
        await writeFile(
          path.join(dir, `${name}.yaml`),
          manifestYaml(name, { ingestion: { onCreate: false } }),
        );
      const args = ['--dir', dir, '--state', location, '--interval', '1h', '--refresh-interval', '1h'];
      const first = await spec.start([...args, '--resync-interval', '1h'], controllerEnv(em));
      await statusWhen(
        first,
        (s) => s.audiences.length === 2 && s.audiences.every((a) => a.state === 'in-sync'),
        'gold and silver created',
      );
      await first.stop();

      const [row] = await postgres.query<{ body: unknown }>(
        `SELECT body FROM "${schema}".audiences WHERE sandbox = 'prod' AND key = 'gold'`,
      );
      expect(row?.body).toMatchObject({ deletionPolicy: 'Delete' });
      await postgres.query(
        `UPDATE "${schema}".audiences SET body = body || '{"deletionPolicy": "Shred"}' WHERE sandbox = 'prod' AND key = 'gold'`,
      );
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
      await controller.waitForLog(() => controller.logs.filter(corrupt).length >= 2, 30_000);

      const unready = await readyz(controller.url);
      expect(unready.status).toBe(503);
      expect(unready.body.ready).toBe(false);
      expect(unready.body.reason).toMatch(
        /^the state store cannot be read: STATE_CORRUPT: .*\(row prod\/gold\) does not match the state schema at deletionPolicy/,
      );
      expect(unready.body.reason).not.toContain('\n');
      expect(unready.body.reason).not.toContain(password);
      const status = await controller.status();
      expect(status.readiness).toEqual({ ready: false, reason: unready.body.reason });
      expect(status.reconcile.lastError?.code).toBe('STATE_CORRUPT');
      expect(writes).toEqual([]);
      const silver = () =>
        em.control.listAudiences(DEMO_CLIENT.orgId, 'prod').find((a) => a.audienceName === 'Audience silver');
      expect(silver()?.description).toBe('About silver');

      await postgres.query(
        `UPDATE "${schema}".audiences SET body = $1::jsonb WHERE sandbox = 'prod' AND key = 'gold'`,
        [JSON.stringify(row?.body)],
      );
      const mended = await statusWhen(
        controller,
        (s) => s.reconcile.lastResult === 'success',
        'a pass succeeded once the row was mended',
      );
      expect(mended.readiness).toEqual({ ready: true });
      expect(await readyz(controller.url)).toEqual({ status: 200, body: { ready: true } });
      expect(silver()?.description).toBe('Silver, changed');
    });
  },
);
