import { describe, expect, it } from 'vitest';
import { Leadership } from '../../src/daemon/leadership.js';
import { silentLogger } from '../../src/log.js';
import { openStateStore } from '../../src/state/open.js';
import { runCli } from '../helpers/cli.js';
import { aRecord, readAll } from './helpers.js';
import { usePostgres } from './pg.js';

const postgres = usePostgres();

/** A controller's leader on `location`, as `audiencectl run` elects one; resolves once it leads. */
async function startController(location: string): Promise<() => Promise<void>> {
  const store = await openStateStore(location);
  let elected!: () => void;
  const leads = new Promise<void>((resolve) => (elected = resolve));
  const leadership = new Leadership({
    store,
    logger: silentLogger(),
    onElected: () => elected(),
    onDeposed: () => undefined,
  });
  leadership.start();
  await leads;
  return async () => {
    await leadership.stop();
    await store.close();
  };
}

/**
 * review 7, M4: a controller's leader holds a PostgreSQL store's lock for as long as it runs, so
 * every repair command was refused with "wait for it to finish, or pass --lock-timeout", which
 * never helps. The refusal says a controller holds it and what to do; done, the repair runs.
 */
describe('a repair command while a controller leads on the PostgreSQL store', { timeout: 90_000 }, () => {
  it('is told to stop the controller, repair, start it again; and that works', async () => {
    const location = await postgres.freshLocation();
    const password = decodeURIComponent(new URL(location).password);
    const seed = await openStateStore(location);
    await seed.lock();
    await seed.put(aRecord('gold'));
    await seed.close();
    const env = { AUDIENCECTL_STATE: location };

    const stop = await startController(location);
    let stopped = false;
    try {
      // review 20a, L4: with --lock-timeout 0 it said "after waiting 0.0 s"; it waits for nothing.
      const refused = await runCli(['state', 'forget', 'gold', '--sandbox', 'prod', '--lock-timeout', '0'], {
        env,
      });
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(
        /^Error: the state store postgres:\/\/\S+ is locked by pid \d+ on host \S+ \(audiencectl run\) since \S+\. It is a controller \(`audiencectl run`\), which holds the lock for as long as it runs, between passes too: waiting or --lock-timeout will not get it\. To change the state by hand, stop the controller \(every replica: in Kubernetes, scale its Deployment to 0\), run the command again, then start the controller again \(docs\/controller\.md, "Repairing state under a controller"\)\./,
      );
      expect(refused.stderr).not.toContain('wait for it to finish');
      expect(`${refused.stdout}${refused.stderr}`).not.toContain(password);
      expect((await readAll(location)).audiences.map((r) => r.key)).toEqual(['gold']);

      // As told: stop it, run the command again, start it again.
      await stop();
      stopped = true;
      const forgot = await runCli(['state', 'forget', 'gold', '--sandbox', 'prod'], { env });
      expect(forgot.stderr).toBe('');
      expect(forgot.code).toBe(0);
      expect(forgot.stdout).toMatch(/^Forgot prod\/gold/);
      expect((await readAll(location)).audiences).toEqual([]);
      await (
        await startController(location)
      )();
    } finally {
      if (!stopped) await stop();
    }
  });
});
