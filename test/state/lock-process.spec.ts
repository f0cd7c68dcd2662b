import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { useStores } from './stores.js';
import { spawnFixture, type Child } from './spawn.js';

const stores = useStores();
const children: Child[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()));
});

function holder(args: string[]): Child {
  const child = spawnFixture('holder.mjs', args);
  children.push(child);
  return child;
}

describe.each(stores)('$name store: the lock across processes', (kind) => {
  it('refuses a second applier while another process holds it, and is free once that one is killed', async () => {
    const location = await kind.fresh();
    const first = holder([location]);
    await first.waitFor(/^locked/);

    const refused = await (
      await kind.open(location)
    )
      .lock()
      .catch((error: Error & { code?: string }) => error);
    expect(refused).toMatchObject({ code: 'STATE_LOCKED' });
    expect((refused as Error).message).toMatch(
      new RegExp(`locked by pid ${first.pid} on host ${os.hostname()} \\(test-holder\\) since \\d{4}-`),
    );

    await first.kill();
    const info = await (await kind.open(location)).lock();
    if (kind.name === 'directory') {
      expect(info.tookOver).toMatchObject({ reason: 'dead-pid', holder: { pid: first.pid } });
    } else {
      // The server ended the dead session's lock with its connection: nothing to take over.
      expect(info.tookOver).toBeUndefined();
    }
  });

  it('lets a waiting applier in when the holder finishes', async () => {
    const location = await kind.fresh();
    const first = holder([location, 'signal']);
    await first.waitFor(/^locked/);
    const second = holder([location, '0', '60000']);
    // Observed waiting: it found the lock held, and holds nothing yet.
    await second.waitFor(/^waiting$/);
    expect(second.lines).toEqual(['waiting']);
    first.process.kill('SIGUSR2');
    await first.waitFor(/^released$/);
    await second.waitFor(/^locked fresh$/);
  });

  it('gives a free lock to exactly one of several processes racing for it', async () => {
    const location = await kind.fresh();
    const dead = holder([location]);
    await dead.waitFor(/^locked/);
    await dead.kill();
    const racers = Array.from({ length: 4 }, () => holder([location, 'forever', '0', 'signal']));
    // All started and ready before any tries: then they go at once.
    await Promise.all(racers.map((racer) => racer.waitFor(/^ready$/)));
    for (const racer of racers) racer.process.kill('SIGUSR1');
    const outcomes = await Promise.all(racers.map((racer) => racer.waitFor(/^(locked|refused)/)));
    const winners = outcomes.filter((line) => line.startsWith('locked'));
    expect(winners, outcomes.join(', ')).toHaveLength(1);
    expect(outcomes.filter((line) => line === 'refused STATE_LOCKED').length).toBe(3);
  });
});
