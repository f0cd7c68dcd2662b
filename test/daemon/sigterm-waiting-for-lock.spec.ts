import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, collectResult, type CliResult } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv } from './helpers/controller.js';
import { controllerSpec } from './helpers/controller-spec.js';

// Review 35b, L-1 (fixed: LockOptions.signal, src/state/lock.ts). A controller on a directory store takes the lock for a pass only, and an
// `audiencectl apply` may run beside it (docs/controller.md, "Repairing state under a
// controller": "the repair runs beside it (--lock-timeout waits for a pass)"). A pass that waits
// for that lock does not see SIGTERM: the shutdown waits for the lock's timeout, and past the
// grace period the controller is ended by its last resort (exit 1, "shutdown exceeded the grace
// period"). docs/controller.md, "Shutdown": no new pass starts, waits end, and the process exits
// with 0 (1 only if it took longer than the grace period).

const spec = controllerSpec('review-35b-lockwait-');

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('SIGTERM while a pass waits for the state lock (review 35b)', () => {
  it('stops within the grace period and exits 0', async () => {
    const { em: emulator, root } = await spec.setUp();
    const dir = path.join(root, 'manifests');
    const state = path.join(root, 'state');
    await mkdir(dir);
    await mkdir(state);
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
    const env = controllerEnv(emulator);

    // An apply beside the controller holds the lock: its create's answer is held.
    const arrived = gate();
    const answer = gate();
    const stopObserving = emulator.control.observeRequests((request) => {
      if (request.endpoint !== 'createAudience') return undefined;
      arrived.open();
      return answer.promise;
    });
    let apply: Promise<CliResult> | undefined;
    try {
      const child = spawn(process.execPath, [CLI, 'apply', dir, '--state', state, '--auto-approve'], { env });
      apply = collectResult(child);
      await arrived.promise;

      const ctl = await spec.start(
        ['--dir', dir, '--state', state, '--interval', '1h', '--shutdown-grace', '2s'],
        { ...env, AUDIENCECTL_LOCK_TIMEOUT: '1h' },
      );
      // Its first pass goes on to take the lock, which the apply holds, and says it waits.
      await ctl.waitForLog((line) => line.msg === 'waiting for the state lock');
      const stopped = await ctl.stop('SIGTERM');
      const said = ctl.logs.map((line) => JSON.stringify(line)).join('\n');
      expect(said).not.toContain('shutdown exceeded the grace period');
      expect(stopped.code, said).toBe(0);
    } finally {
      answer.open();
      stopObserving();
      await apply;
    }
  });
});
