import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import type { StatusSnapshot } from '../../src/daemon/types.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { pausedCli } from '../helpers/paused-cli.js';
import { repoRoot } from '../state/helpers.js';
import {
  assertBuilt,
  cleanUp,
  controllerEnv,
  eventuallyLogged,
  startController,
  type TestParts,
} from '../daemon/helpers/controller.js';
import { splitTakeovers } from './migrate-takeovers.js';

// Review 35c M-2. docs/state.md ("state migrate"): killed between the two renames that swap the
// copy in, the target is missing and every command refuses it (STATE_MIGRATE_INTERRUPTED) so that
// nothing reads it as a new, empty store. A controller already running on that directory store (it
// holds the lock for a pass only, so a migrate may run between passes) takes the lock at its next
// pass: its lock once made the folder again before refusing, and from then on `plan` read the empty
// folder as a new store (every manifest a create) and the migrate run again, as the refusals
// advise, was refused with the same advice.
const PRELOAD = path.join(repoRoot, 'test/state/fixtures/migrate-pause.mjs');
const quiet = { ingestion: { onCreate: false } };

describe('a directory store a killed migrate left mid-swap, under a running controller', () => {
  const parts: TestParts = {};
  afterEach(() => cleanUp(parts));

  it('stays refused by plan after the controller’s next pass', { timeout: 120_000 }, async () => {
    await assertBuilt();
    const emulator: RunningEmulator = await startEmulator({
      port: 0,
      operationDelayMs: 10,
      runStageDelayMs: 10,
    });
    parts.emulator = emulator;
    const dir = await mkdtemp(path.join(tmpdir(), 'review-35c-swap-'));
    parts.dir = dir;
    const manifests = path.join(dir, 'm');
    const state = path.join(dir, 's');
    const copy = path.join(dir, 'copy');
    await mkdir(manifests);
    await writeFile(path.join(manifests, 'gold.yaml'), manifestYaml('gold', quiet));
    // The premises (the store made, gold applied, a backup taken) run the CLI's entry in this
    // process (cli-in-process.ts: the same code and exit codes, without a process's ~0.6 s of CPU
    // each); the controller, the killed migrate and the commands after it are built processes.
    expect((await runCliInProcess(['init', '--state', state], { env: emulatorEnv(emulator) })).code).toBe(0);
    const applied = await runCliInProcess(['apply', manifests, '--state', state, '--auto-approve'], {
      env: emulatorEnv(emulator),
    });
    expect(applied.code, applied.stderr).toBe(0);
    // A copy of the store (a backup), to be copied back over it.
    const backup = await runCliInProcess(['state', 'migrate', '--from', state, '--to', copy]);
    expect(backup.code, backup.stderr).toBe(0);

    const controller = await startController(
      [
        '--dir',
        manifests,
        '--state',
        state,
        '--interval',
        '1h',
        '--resync-interval',
        '1h',
        '--refresh-interval',
        '0',
      ],
      controllerEnv(emulator),
    );
    parts.controller = controller;
    await eventuallyLogged(
      [controller],
      () => controller.status(),
      (s: StatusSnapshot) => !s.reconcile.running && s.reconcile.lastResult === 'success',
      20_000,
      'the first pass',
    );

    // The restore, killed between its two renames (proven by the preload's pause there).
    const migrate = pausedCli(PRELOAD, ['state', 'migrate', '--from', copy, '--to', state, '--force'], {
      env: { ...process.env, NO_COLOR: '1', MIGRATE_PAUSE: 'swap' },
    });
    expect(await migrate.paused).toBe('paused swap');
    expect((await migrate.stop('SIGKILL')).signal).toBe('SIGKILL');
    const aside = (await readdir(dir)).filter(
      (name) => name.startsWith('.s.migrate-') && name.endsWith('.old'),
    );
    expect(aside).toHaveLength(1);

    // A manifest added: the controller's next pass.
    await writeFile(path.join(manifests, 'silver.yaml'), manifestYaml('silver', quiet));
    // It refuses the store moved aside, as documented (its lock found no meta.json beside the .old).
    await eventuallyLogged(
      [controller],
      () => controller.status(),
      (s: StatusSnapshot) =>
        !s.reconcile.running && s.reconcile.lastError?.code === 'STATE_MIGRATE_INTERRUPTED',
      20_000,
      'the next pass',
    );

    const planned = await runCli(['plan', manifests, '--state', state], { env: emulatorEnv(emulator) });
    // The way out the refusals give: run the migrate again (it puts the previous store back first).
    const again = await runCli(['state', 'migrate', '--from', copy, '--to', state, '--force']);
    const old = path.join(dir, aside[0]!);
    // The killed migrate held both stores' locks: the run again takes each over and says so.
    const said = splitTakeovers(again.stderr);
    expect(said.stores).toEqual([copy, state].sort());
    expect({
      plan: [planned.code, planned.stderr.split('\n').find((line) => line.startsWith('Error:'))],
      again: [again.code, said.rest],
    }).toEqual({
      plan: [
        1,
        `Error: ${state} is missing: a \`state migrate\` into it was interrupted while swapping the copy in, and its previous store is in ${old}. ` +
          `Run that \`audiencectl state migrate\` again (it puts the previous store back first), or rename ${old} to ${state}`,
      ],
      again: [0, `put back the previous store of ${state} from ${old} (a migrate into it was interrupted)\n`],
    });
  });
});
