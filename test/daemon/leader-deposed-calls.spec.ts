import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_OPERATION_POLL } from '../../src/apply/clock.js';
import { startController } from '../../src/daemon/controller.js';
import { DEMO_CLIENT, DEMO_SANDBOX } from '../../src/emulator/index.js';
import { parseStateLocation } from '../../src/state/location.js';
import { openStateStore } from '../../src/state/open.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { manifestYaml } from '../helpers/manifests.js';
import { usePostgres } from '../state/pg.js';
import { eventually } from './helpers/controller.js';
import { controllerOptions, twoRequestsAnHour } from './helpers/start-options.js';

const HOUR = 3_600_000;
const db = usePostgres();

let root: string | undefined;

afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  root = undefined;
});

describe('a leader that loses the state lock mid-pass', () => {
  it('sends none of the calls its pass had queued: the pass ends at once, before any stop', async () => {
    root = await mkdtemp(path.join(tmpdir(), 'audiencectl-deposed-'));
    const dir = path.join(root, 'manifests');
    await mkdir(dir);
    for (const name of ['a', 'b'])
      await writeFile(path.join(dir, `${name}.yaml`), manifestYaml(name, { ingestion: { onCreate: false } }));
    const location = await db.freshLocation();
    const schema = new URL(location).searchParams.get('schema')!;

    // Operations done at once: the audience made is listed the moment it is made.
    await withEmulator({ operationDelayMs: 0 }, async (emulator) => {
      const creates = () =>
        emulator.control.requestLog().filter((entry) => entry.endpoint === 'createAudience').length;
      // Two requests an hour: the clock read and the first create go out, every other call of
      // the pass waits in the client's budget, as calls do behind a busy budget or a 429's Retry-After.
      const controller = await startController(
        controllerOptions(
          dir,
          parseStateLocation(location),
          {
            connect: (extras) =>
              Promise.resolve({
                client: twoRequestsAnHour(emulator, extras),
                target: 'emulator',
                close: () => Promise.resolve(),
              }),
            shutdownGraceMs: HOUR,
            electionPollMs: 20,
          },
          { dryRun: false, operationPoll: { ...DEFAULT_OPERATION_POLL, firstMs: 10, maxMs: 40 } },
        ),
      );
      try {
        await eventually(creates, (n) => n === 1, 10_000, 'the first create');
        // The lock was reached: nothing to say of the election.
        expect(controller.reconciler.status().leadership).toEqual({ lastError: null });
        // The database ends the leader's lock session (a failover, a DBA, a proxy): another
        // replica may take the lock at once, and resolve this one's intents its own way.
        await db.query(`SELECT pg_terminate_backend(backend_pid) FROM ${schema}.lock_state`);
        await controller.deposed;
        // Nothing has asked the controller to stop: the pass ends because it lost the lock.
        await controller.reconciler.settled();
        expect(creates()).toBe(1);
        expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX)).toHaveLength(1);
      } finally {
        await controller.stop('test over');
      }
    });
  });
});

describe('a dry-run controller on a PostgreSQL store', () => {
  it('takes no part in the election: it plans while another process holds the lock, and never takes it', async () => {
    root = await mkdtemp(path.join(tmpdir(), 'audiencectl-shadow-'));
    const dir = path.join(root, 'manifests');
    await mkdir(dir);
    await writeFile(path.join(dir, 'a.yaml'), manifestYaml('a', { ingestion: { onCreate: false } }));
    const location = await db.freshLocation();
    // The applying controller (or an `audiencectl apply`) holds the store's lock.
    const applying = await openStateStore(location);
    await applying.lock({ timeoutMs: 0, command: 'audiencectl run' });
    try {
      const shadow = await startController(
        controllerOptions(dir, parseStateLocation(location), { electionPollMs: 20 }),
      );
      try {
        await shadow.reconciler.settled();
        const status = shadow.reconciler.status();
        expect(status.mode).toBe('dry-run');
        expect(status.reconcile.lastResult).toBe('success');
        expect(status.plan?.summary['create']).toBe(1);
      } finally {
        await shadow.stop('test over');
      }
      // Had it campaigned, it would hold the lock now that the applying process lets go.
      await applying.unlock();
      const shadowAgain = await startController(
        controllerOptions(dir, parseStateLocation(location), { electionPollMs: 20 }),
      );
      try {
        await shadowAgain.reconciler.settled();
        await applying.lock({ timeoutMs: 0, command: 'audiencectl run' });
      } finally {
        await shadowAgain.stop('test over');
      }
    } finally {
      await applying.close();
    }
  });
});
