import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import { lockPath } from '../../src/state/paths.js';
import { manifestYaml } from '../helpers/manifests.js';
import { deadHolderLock, killedAtGuard } from '../state/left-lock.js';
import type { Child } from '../state/spawn.js';
import { remoteAudiences, withInProcessController } from './helpers/in-process.js';

// A controller on a directory store took over the lock a dead `apply` left, and removed the
// takeover guard a locker killed mid-takeover left, in silence: `apply` and the state commands
// say both (6d5c028a, docs/state.md: "A takeover is announced, by every command that takes the
// lock"). Its log now says them too, with the holder and the guard's maker.

const children: Child[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()));
});

describe('the controller: a directory store lock left by dead processes', () => {
  it('logs the guard it removed and the stale lock it took over, naming their processes', async () => {
    await withInProcessController({}, async ({ emulator, dir, stateDir, reconciler, logs }) => {
      await (await openStateStore(stateDir)).close();
      const holderPid = await deadHolderLock(stateDir, children);
      const killedPid = await killedAtGuard(stateDir);
      await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));

      reconciler.trigger('startup');
      await reconciler.settled();
      expect(remoteAudiences({ emulator } as Parameters<typeof remoteAudiences>[0])).toEqual([
        'Audience gold',
      ]);

      const guard = logs.find((line) => line.msg === 'removed a takeover guard left by a killed locker');
      expect(guard).toMatchObject({
        level: 40,
        component: 'reconciler',
        guard: `${lockPath(stateDir)}.takeover`,
      });
      expect(String(guard?.['maker'])).toMatch(
        new RegExp(`^pid ${killedPid} on host .* \\(test-die-at-guard\\)`),
      );
      const tookOver = logs.find((line) => line.msg === 'took over a stale state lock');
      expect(tookOver).toMatchObject({ level: 40, reason: 'its process is no longer running' });
      expect(String(tookOver?.['holder'])).toMatch(new RegExp(`^pid ${holderPid} on host `));
      // Said before the pass's steps.
      const created = logs.findIndex((line) => line.msg === 'step finished');
      expect(logs.indexOf(guard!)).toBeLessThan(logs.indexOf(tookOver!));
      expect(logs.indexOf(tookOver!)).toBeLessThan(created);
    });
  });
});
