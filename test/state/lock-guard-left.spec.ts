import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import { lockPath } from '../../src/state/paths.js';
import type { GuardLeft } from '../../src/state/lock.js';
import type { StateStore } from '../../src/state/store.js';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { spawnApply } from '../apply/helpers/interrupted-apply.js';
import { ManifestDir } from '../helpers/apply-env.js';
import { executorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { useTempDirs } from './helpers.js';
import { deadHolderLock, killedAtGuard } from './left-lock.js';
import type { Child } from './spawn.js';

// A directory store's lock is taken over from a dead holder under a guard file
// (`<lock>.takeover`, made exclusively), removed a moment later. A locker killed (kill -9) in
// that moment leaves the guard, with the stale lock it was about to remove: the next locker
// waited 10 s in silence for the guard to stay unchanged, the guard's maker long dead. The
// guard names its maker now: a dead process of this host, it is removed at once, and said.
// One that cannot be judged here (another host's, an earlier release's, unnamed) is waited for
// as before, and the wait said.

const tempDir = useTempDirs();
const children: Child[] = [];
const stores: StateStore[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()));
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

async function open(dir: string): Promise<StateStore> {
  const store = await openStateStore(dir);
  stores.push(store);
  return store;
}

describe('directory store: a lock takeover killed (kill -9) after it made its guard', () => {
  it('the next locker removes the guard of the dead locker at once, says so, and takes the stale lock over', async () => {
    const dir = await tempDir();
    await (await open(dir)).close();
    const holderPid = await deadHolderLock(dir, children);
    const killedPid = await killedAtGuard(dir);
    const told: GuardLeft[] = [];
    const info = await (await open(dir)).lock({ onGuard: (guard) => told.push(guard) });
    expect(told).toMatchObject([
      {
        kind: 'removed',
        file: `${lockPath(dir)}.takeover`,
        holder: { pid: killedPid, command: 'test-die-at-guard' },
      },
    ]);
    expect(told).toHaveLength(1);
    expect(info.tookOver).toMatchObject({ reason: 'dead-pid', holder: { pid: holderPid } });
  });

  it('a guard that does not name its maker (an earlier release): waited for as before, the wait said once', async () => {
    const dir = await tempDir();
    await (await open(dir)).close();
    const holderPid = await deadHolderLock(dir, children);
    await writeFile(`${lockPath(dir)}.takeover`, '');
    const told: GuardLeft[] = [];
    // staleAfterMs 2 s: the guard is removed once seen unchanged for 1 s.
    const info = await (await open(dir)).lock({ staleAfterMs: 2000, onGuard: (guard) => told.push(guard) });
    expect(told).toMatchObject([{ kind: 'waiting', file: `${lockPath(dir)}.takeover`, holder: undefined }]);
    expect(told).toHaveLength(1);
    const waitMs = told[0]?.kind === 'waiting' ? told[0].waitMs : -1;
    expect(waitMs).toBeGreaterThan(0);
    expect(waitMs).toBeLessThanOrEqual(1000);
    expect(info.tookOver).toMatchObject({ reason: 'dead-pid', holder: { pid: holderPid } });
  });
});

describe('audiencectl apply after a lock takeover killed (kill -9) at its guard', () => {
  it(
    'says it removed the guard of the dead locker, takes the stale lock over and applies',
    { timeout: 60_000 },
    async () => {
      await withEmulator(undefined, async (emulator) => {
        const dir = await tempDir();
        const state = path.join(dir, 'state');
        await (await open(state)).close();
        const holderPid = await deadHolderLock(state, children);
        const killedPid = await killedAtGuard(state);
        const manifests = new ManifestDir(path.join(dir, 'm'));
        await manifests.write([manifestObject('gold', { ingestion: { onCreate: false } })]);
        const applied = await spawnApply(executorEnv(emulator, state), manifests.dir, state).exited;
        expect(applied.code, applied.stderr).toBe(0);
        expect(applied.stderr).toContain(
          `Removed ${lockPath(state)}.takeover, left by pid ${killedPid} on host `,
        );
        expect(applied.stderr).toContain(
          'when it was killed while taking over a stale state lock: its process is no longer running.',
        );
        expect(applied.stderr).toMatch(
          new RegExp(
            `Took over a stale state lock held by pid ${holderPid} .*its process is no longer running`,
          ),
        );
        expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.audienceName)).toEqual([
          'Audience gold',
        ]);
      });
    },
  );
});
