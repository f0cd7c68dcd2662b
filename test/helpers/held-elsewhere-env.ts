import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { emulatorEnv, remoteByName } from './apply-env.js';
import { writeFiles } from './cli.js';
import { runCliInProcess } from './cli-in-process.js';
import { manifestYaml } from './manifests.js';

/** No run is started: the audiences are what is checked. */
export const quiet = (name: string) => manifestYaml(name, { ingestion: { onCreate: false } });

/** The ids of the emulator's audiences, by name (`Audience gold`, as manifestYaml names them). */
export function remoteIds(emulator: RunningEmulator): Map<string, string> {
  const ids = new Map([...remoteByName(emulator)].map(([name, audience]) => [name, audience.audienceId]));
  // Compared by value: an id missing from every side would compare equal.
  for (const id of ids.values()) expect(id).toMatch(/^[0-9a-f-]{36}$/);
  return ids;
}

/**
 * Writes `files` under `<tmp>/m`, applies `m` with a directory store `<tmp>/state`, and
 * returns the CLI bound to that store, run from `tmp` (paths as a user types them there).
 */
export async function appliedFromM(
  emulator: RunningEmulator,
  tmp: string,
  files: Record<string, string>,
): Promise<(args: string[]) => ReturnType<typeof runCliInProcess>> {
  const state = path.join(tmp, 'state');
  await mkdir(state);
  await writeFiles(path.join(tmp, 'm'), files);
  const env = emulatorEnv(emulator);
  const run = (args: string[]) => runCliInProcess([...args, '--state', state], { cwd: tmp, env });
  const applied = await run(['apply', 'm', '--auto-approve']);
  expect(applied.stderr).not.toMatch(/Error/);
  expect(applied.code).toBe(0);
  return run;
}
