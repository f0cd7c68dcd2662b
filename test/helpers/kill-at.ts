import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import type { EndpointName } from '../../src/emulator/index.js';
import { emulatorEnv } from './apply-env.js';
import { CLI } from './cli.js';
import type { ExecutorEnv } from './executor-env.js';

/** Where a kill lands: at the k-th request to an endpoint, its answer sent or held back. */
export type KillPoint = { k: number; hold: boolean };

/**
 * Runs the built CLI's apply of `dir` (with `flags`: `--refresh`, say) and SIGKILLs it at the
 * k-th request to `endpoint` (TESTING.md: interrupt at a request, not at a time). Held back,
 * that request's answer leaves only once the process is dead: the request is done, the client
 * never learns it. Fails if the apply ends before that request.
 */
export async function applyKilledAt(
  env: ExecutorEnv,
  dir: string,
  endpoint: EndpointName,
  kill: KillPoint,
  flags: readonly string[] = [],
): Promise<void> {
  let seen = 0;
  let hit!: () => void;
  const reached = new Promise<'hit'>((resolve) => (hit = () => resolve('hit')));
  let dead!: () => void;
  const killed = new Promise<void>((resolve) => (dead = resolve));
  const stop = env.emulator.control.observeRequests((request) => {
    if (request.endpoint !== endpoint || (seen += 1) !== kill.k) return undefined;
    hit();
    return kill.hold ? killed : undefined;
  });
  // apply refuses a store that does not exist (audiencectl init creates it).
  await mkdir(env.stateDir, { recursive: true });
  try {
    const child = spawn(
      process.execPath,
      [CLI, 'apply', dir, '--state', env.stateDir, '--sandbox', 'prod', '--auto-approve', ...flags],
      { env: { ...process.env, ...emulatorEnv(env.emulator), NO_COLOR: '1' }, stdio: 'ignore' },
    );
    const exited = new Promise<'exit'>((resolve) => child.once('exit', () => resolve('exit')));
    if ((await Promise.race([reached, exited])) === 'exit') {
      throw new Error(
        `the apply ended after ${seen} ${endpoint} request(s), before the kill point (${kill.k})`,
      );
    }
    child.kill('SIGKILL');
    await exited;
  } finally {
    dead();
    stop();
  }
}
