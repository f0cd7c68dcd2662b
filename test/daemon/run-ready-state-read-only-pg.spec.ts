import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ObservedRequest } from '../../src/emulator/context.js';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { runCli } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { usePostgres } from '../state/pg.js';
import { controllerEnv, type LogLine } from './helpers/controller.js';
import { appliedByFirstController, controllerSpec, statusWhen } from './helpers/controller-spec.js';

/**
 * Pass 50's left undone (verify.md): a PostgreSQL store that takes no writes (STATE_READ_ONLY)
 * was said to make a controller unready (35f26ac3, docs/controller.md) by a unit spec of
 * standingFault only. As a process it did not: a controller on PostgreSQL takes the store's lock
 * by its election, not by a pass, so the refusal stayed in /status's leadership.lastError, the
 * controller stood by for ever with no pass, and /readyz answered 200: a pod shown healthy that
 * never applies anything. Here the built CLI, as a user meets it: the store's role given
 * default_transaction_read_only = on by its administrator. Expected: `plan` still reads and plans,
 * `apply` is refused in one line naming the setting, the controller is not ready and says why
 * on /readyz and /status without the password, calls nothing but reads, and is ready again by
 * itself (and applies) once the setting is turned off. Once readiness said so, that last part
 * failed too: elected, its first pass's step failed with 25006 on the pool's connections, opened
 * while the role was read-only and keeping that setting (the store now drops them once a lock it
 * was refused as read-only is taken).
 *
 * Here: a first controller (superuser URL) creates gold and silver in a fresh schema; then a
 * role whose transactions default to read-only is made, silver's manifest changed, and the CLI
 * and a second controller run on that role's URL; later the role's setting is turned off.
 */
const postgres = usePostgres();
const spec = controllerSpec('run-ready-state-read-only-pg-');

type Ready = { status: number; body: { ready: boolean; reason?: string } };

async function readyz(url: string): Promise<Ready> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as Ready['body'] };
}

const READ_ONLY =
  /^the state store cannot be written: STATE_READ_ONLY: the state store postgres:\/\/\S+ is read-only: the database or role defaults to read-only transactions \(default_transaction_read_only = on\)/;

describe(
  'a controller whose PostgreSQL role defaults to read-only transactions',
  { timeout: 120_000 },
  () => {
    it('plan reads, apply is refused in one line, the controller is unready, and ready again once the role may write', async () => {
      const location = await postgres.freshLocation();
      const { em, dir, args } = await appliedByFirstController(spec, ['gold', 'silver'], location);

      const role = `reader_${randomBytes(4).toString('hex')}`;
      const password = `pw${randomBytes(8).toString('hex')}`;
      await postgres.query(`CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${password}'`);
      await postgres.query(`ALTER ROLE ${role} SET default_transaction_read_only = on`);
      const url = new URL(location);
      url.username = role;
      url.password = password;
      await writeFile(
        path.join(dir, 'silver.yaml'),
        manifestYaml('silver', { spec: { description: 'Silver, changed' }, ingestion: { onCreate: false } }),
      );
      const writes: ObservedRequest[] = [];
      em.control.observeRequests((request) => {
        if (request.method !== 'GET') writes.push(request);
      });
      const silver = () =>
        em.control.listAudiences(DEMO_CLIENT.orgId, 'prod').find((a) => a.audienceName === 'Audience silver');
      const env = controllerEnv(em);

      // The CLI on that URL: plan reads the records and plans silver's change; apply is refused.
      const plan = await runCli(['plan', dir, '--state', url.href], { env });
      expect(plan.stderr).toBe('');
      expect(plan.code).toBe(0);
      expect(plan.stdout).toMatch(/^ {2}~ prod\/silver update: description changed/m);
      const apply = await runCli(['apply', dir, '--state', url.href, '--auto-approve'], { env });
      expect(apply.code).toBe(1);
      expect(apply.stderr).toMatch(
        /^Error: [^\n]*is read-only[^\n]*default_transaction_read_only = on[^\n]*\n$/,
      );
      expect(apply.stderr).not.toContain(password);

      const controller = await spec.start(
        [
          ...args.map((arg) => (arg === location ? url.href : arg)),
          '--resync-interval',
          '1h',
          '--backoff-base',
          '50ms',
          '--backoff-max',
          '200ms',
        ],
        env,
      );
      await controller.waitForLog((line: LogLine) => line['code'] === 'STATE_READ_ONLY');
      const unready = await statusWhen(controller, (s) => !s.readiness.ready, 'not ready');
      expect(unready.role).toBe('standby');
      expect(unready.leadership?.lastError?.code).toBe('STATE_READ_ONLY');
      const answer = await readyz(controller.url);
      expect(answer.status).toBe(503);
      expect(answer.body.reason).toMatch(READ_ONLY);
      expect(answer.body.reason).not.toContain('\n');
      expect(answer.body.reason).not.toContain(password);
      expect(unready.readiness).toEqual({ ready: false, reason: answer.body.reason });
      expect(writes).toEqual([]);
      expect(silver()?.description).toBe('About silver');

      await postgres.query(`ALTER ROLE ${role} SET default_transaction_read_only = off`);
      const mended = await statusWhen(
        controller,
        (s) => s.reconcile.lastResult === 'success',
        'a pass succeeded once the role may write',
      );
      expect(mended.role).toBe('leader');
      expect(mended.readiness).toEqual({ ready: true });
      expect(await readyz(controller.url)).toEqual({ status: 200, body: { ready: true } });
      expect(silver()?.description).toBe('Silver, changed');
    });
  },
);
