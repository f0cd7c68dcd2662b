import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../src/state/file-store.js';
import { useTempDirs } from './helpers.js';
import { spawnFixture, type Child } from './spawn.js';

const tempDir = useTempDirs();
const children: Child[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()));
});

function holder(args: string[]): Child {
  const child = spawnFixture('holder.ts', args);
  children.push(child);
  return child;
}

describe('the store lock across processes', () => {
  it('refuses a second applier while another process holds it, then takes over once that one is killed', async () => {
    const dir = await tempDir();
    const first = holder([dir]);
    await first.waitFor(/^locked/);

    const refused = await new FileStateStore(dir).lock().catch((error: Error & { code?: string }) => error);
    expect(refused).toMatchObject({ code: 'STATE_LOCKED' });
    expect((refused as Error).message).toMatch(
      new RegExp(`locked by pid ${first.pid} on host ${os.hostname()} \\(test-holder\\) since \\d{4}-`),
    );

    await first.kill();
    const store = new FileStateStore(dir);
    const info = await store.lock();
    expect(info.tookOver).toMatchObject({ reason: 'dead-pid', holder: { pid: first.pid } });
    await store.unlock();
  });

  it('lets a waiting applier in when the holder finishes', async () => {
    const dir = await tempDir();
    const first = holder([dir, '400']);
    await first.waitFor(/^locked/);
    const second = holder([dir, '0', '10000']);
    await second.waitFor(/^locked fresh$/);
    expect(first.lines).toContain('released');
  });

  it('gives a stale lock to exactly one of several processes racing for it', async () => {
    const dir = await tempDir();
    const dead = holder([dir]);
    await dead.waitFor(/^locked/);
    await dead.kill();
    const startAt = String(Date.now() + 3000);
    const racers = Array.from({ length: 4 }, () => holder([dir, 'forever', '0', startAt]));
    const outcomes = await Promise.all(racers.map((racer) => racer.waitFor(/^(locked|refused)/)));
    const winners = outcomes.filter((line) => line.startsWith('locked'));
    expect(winners, outcomes.join(', ')).toHaveLength(1);
    expect(outcomes.filter((line) => line === 'refused STATE_LOCKED').length).toBe(3);
  });
});
