import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunningEmulator } from '../../../src/emulator/index.js';
import {
  controllerEnv,
  eventuallyLogged,
  startController,
  type ControllerProcess,
  type TestParts,
} from './controller.js';

/**
 * A controller on a watched directory holding `gold` (`goldYaml`), its state beside it, that
 * follows a run for 1 s and resyncs every 2 s; resolves once it has left gold's first run
 * (`waiting-run` on /status). What it makes goes into `parts` as it is made (cleanUp).
 */
export async function controllerLeavingGoldsRun(
  emulator: RunningEmulator,
  goldYaml: string,
  parts: TestParts,
): Promise<ControllerProcess> {
  const root = await mkdtemp(path.join(tmpdir(), 'left-run-'));
  parts.dir = root;
  const dir = path.join(root, 'manifests');
  await mkdir(dir);
  await writeFile(path.join(dir, 'gold.yaml'), goldYaml);
  const controller = await startController(
    [
      ...['--dir', dir, '--state', path.join(root, 'state'), '--interval', '1h'],
      ...['--run-wait', '1s', '--resync-interval', '2s', '--refresh-interval', '0'],
    ],
    controllerEnv(emulator),
  );
  parts.controller = controller;
  await eventuallyLogged(
    [controller],
    () => controller.status(),
    (s) => s.audiences.some((a) => a.key === 'gold' && a.state === 'waiting-run'),
    30_000,
    'gold waiting for its first run',
  );
  return controller;
}
