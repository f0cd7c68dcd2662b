import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EndpointName } from '../../src/emulator/index.js';
import { emulatorEnv, ManifestDir } from '../helpers/apply-env.js';
import { CLI } from '../helpers/cli.js';
import { executorEnv, type ExecutorEnv } from '../helpers/executor-env.js';
import {
  createdWithRun,
  expectFirstRunOwed,
  expectNewAudienceWith,
  moved,
  ONE_IN_SANDBOX,
  statuses,
} from '../helpers/replaced-env.js';
import { withEmulator } from '../helpers/with-emulator.js';

// A replace killed (kill -9 of the built CLI) during its DELETE, or between its DELETE and its
// create, keeps the deleted audience's runs of the last 24 h for the daily run budget once the
// next apply has settled it (test/apply/replace-runs.spec.ts: the replace not killed).

/**
 * The CLI's apply of `dir`, SIGKILLed at the first request to `endpoint`, whose answer is held
 * back until the process is dead (the request is done; the client never learns it).
 */
async function applyKilledAt(env: ExecutorEnv, dir: string, endpoint: EndpointName): Promise<void> {
  let hit!: () => void;
  const reached = new Promise<'hit'>((resolve) => (hit = () => resolve('hit')));
  let dead!: () => void;
  const killed = new Promise<void>((resolve) => (dead = resolve));
  let seen = 0;
  const stop = env.emulator.control.observeRequests((request) => {
    if (request.endpoint !== endpoint || (seen += 1) !== 1) return undefined;
    hit();
    return killed;
  });
  await mkdir(env.stateDir, { recursive: true });
  try {
    const child = spawn(
      process.execPath,
      [CLI, 'apply', dir, '--state', env.stateDir, '--sandbox', 'prod', '--auto-approve'],
      { env: { ...process.env, ...emulatorEnv(env.emulator), NO_COLOR: '1' }, stdio: 'ignore' },
    );
    const exited = new Promise<'exit'>((resolve) => child.once('exit', () => resolve('exit')));
    if ((await Promise.race([reached, exited])) === 'exit')
      throw new Error(`the apply ended before ${endpoint}`);
    child.kill('SIGKILL');
    await exited;
  } finally {
    dead();
    stop();
  }
}

describe('a replace killed (kill -9) keeps the deleted audience run once resumed', () => {
  it.each([
    ['during its DELETE', 'deleteAudience', 'delete'],
    ['between its DELETE and its create, during the POST', 'createAudience', 'create'],
  ] as const)('%s', async (_, endpoint, pending) => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
      const tmp = await mkdtemp(path.join(tmpdir(), 'audiencectl-replace-kill-'));
      try {
        const env = executorEnv(emulator, path.join(tmp, 'state'));
        const { former, oldId } = await createdWithRun(env);
        const dir = new ManifestDir(path.join(tmp, 'm'));
        await dir.write([moved]);
        await applyKilledAt(env, dir.dir, endpoint);
        const killed = await env.store().get('prod', 'gold');
        expect(killed?.intent?.kind, 'the kill landed in the step').toBe(pending);

        const resumed = await env.apply([moved], { plan: ONE_IN_SANDBOX });
        // A kill during the DELETE is settled before the plan; a create intent is left to the step.
        expect(resumed.report?.resumed).toEqual(
          pending === 'delete'
            ? [
                `prod/gold: finished an interrupted delete of ${oldId} (a replace's: the record is kept, with the runs that count against the daily run budget, and the plan creates the audience again)`,
              ]
            : [],
        );
        expect(statuses(resumed)).toEqual(['prod/gold:create applied', 'prod/gold:run deferred']);
        await expectNewAudienceWith(env, oldId, former);
        await expectFirstRunOwed(env);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    });
  });
});
