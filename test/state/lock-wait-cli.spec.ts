import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { spawnApply } from '../apply/helpers/interrupted-apply.js';
import { ManifestDir } from '../helpers/apply-env.js';
import { executorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { spawnFixture, type Child } from './spawn.js';
import { useStores } from './stores.js';

/**
 * Two `apply` processes wait on a lock another process holds: both are observed
 * waiting (and sending nothing); the one with the shorter --lock-timeout is refused,
 * the other proceeds once the holder lets go.
 */
const stores = useStores();
const children: Child[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()));
});

describe.each(stores)('apply waits on the lock ($name store)', (kind) => {
  it(
    'is seen waiting, then refused by --lock-timeout, or let in when the holder finishes',
    { timeout: 60_000 },
    async () => {
      await withEmulator(undefined, async (emulator) => {
        const location = await kind.fresh();
        const env = executorEnv(emulator, location);
        const dir = new ManifestDir(
          path.join(await stores.find((s) => s.name === 'directory')!.fresh(), 'm'),
        );
        await dir.write([manifestObject('gold', { ingestion: { onCreate: false } })]);
        const holder = spawnFixture('holder.mjs', [location, 'signal']);
        children.push(holder);
        await holder.waitFor(/^locked/);
        const waiting = `for the state lock held by pid ${holder.pid} `;

        const patient = spawnApply(env, dir.dir, location, ['--lock-timeout', '10m']);
        const hasty = spawnApply(env, dir.dir, location, ['--lock-timeout', '1s']);
        await patient.stderrShows(`Waiting up to 600 s ${waiting}`);
        await hasty.stderrShows(`Waiting up to 1 s ${waiting}`);
        const refused = await hasty.exited;
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(
          /Error: the state store .*locked by pid \d+ .*\(test-holder\).* after waiting \d/,
        );
        expect(emulator.control.counters().byEndpoint.createAudience.requests).toBe(0);

        holder.process.kill('SIGUSR2');
        await holder.waitFor(/^released$/);
        const applied = await patient.exited;
        expect(applied.stderr).not.toContain('Took over');
        expect(applied.code).toBe(0);
        expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.audienceName)).toEqual([
          'Audience gold',
        ]);
      });
    },
  );
});
