import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { CLI, collectResult } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * Review 32, M-1: two applies on one host name but in different pid namespaces (two containers
 * sharing a state volume: `docker run --network host` gives each the host's name, and each its
 * own pids) share one directory store. The state lock judged a holder "on this host" by its
 * host name alone, then by its pid: the second apply, whose pid is the first's (both pid 1,
 * or pid 7 under tini), read the live lock as an earlier incarnation of itself ("reused-pid")
 * and took it over at once, while the first still applied. The lock now names where its pid
 * means something (hostTag: host name, machine id, pid namespace), and a holder of another pid
 * namespace is judged as one of another host: by its refreshes (src/state/lock.spec.ts).
 *
 * The two containers are stood in for by `unshare -pf --mount-proc`, which needs root
 * (CAP_SYS_ADMIN): where it cannot run, this test is skipped, and no other spec runs two pid
 * namespaces (the in-process specs plant a lock of another namespace's hostTag instead).
 */
function canUnshare(): boolean {
  try {
    execFileSync('unshare', ['-pf', '--mount-proc', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('the state lock across pid namespaces of one host name', () => {
  it.runIf(canUnshare())(
    'a second apply does not take over the lock of a live apply in another pid namespace',
    async () => {
      await withEmulator({ operationDelayMs: 5, runStageDelayMs: 5 }, async (emulator) => {
        const tmp = await mkdtemp(path.join(tmpdir(), 'review32-lock-'));
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        let reached!: () => void;
        const atCreate = new Promise<void>((resolve) => (reached = resolve));
        let creates = 0;
        const stop = emulator.control.observeRequests((request) => {
          if (request.endpoint !== 'createAudience' || (creates += 1) !== 1) return undefined;
          reached();
          return released;
        });
        try {
          const state = path.join(tmp, 'state');
          const aud = path.join(tmp, 'aud');
          await mkdir(aud);
          await writeFile(path.join(aud, 'gold.yaml'), manifestYaml('gold'));
          const env = { ...process.env, ...emulatorEnv(emulator), NO_COLOR: '1' };
          const init = await runCliInProcess(['init', '--state', state], {
            env: emulatorEnv(emulator),
            cwd: tmp,
          });
          expect(init.code, init.stderr).toBe(0);
          const inNamespace = () =>
            spawn(
              'unshare',
              [
                '-pf',
                '--mount-proc',
                process.execPath,
                CLI,
                'apply',
                aud,
                '--state',
                state,
                '--auto-approve',
              ],
              { env, cwd: tmp },
            );
          // The first apply: its create POST is held, so it holds the state lock meanwhile.
          const first = collectResult(inNamespace());
          await atCreate;
          // The second, from another pid namespace of the same host name, while the first lives.
          const second = await collectResult(inNamespace());
          release();
          const firstResult = await first;
          expect(second.stdout + second.stderr).not.toContain('Took over a stale state lock');
          expect(second.code).toBe(1);
          expect(second.stderr).toContain(
            `Error: the state store is locked by pid 1 on host ${os.hostname()} (audiencectl apply) since `,
          );
          expect(firstResult.code, firstResult.stdout + firstResult.stderr).toBe(0);
        } finally {
          release();
          stop();
          await rm(tmp, { recursive: true, force: true });
        }
      });
    },
  );
});
