import path from 'node:path';
import { emulatorEnv, ensureDirStore, ManifestDir } from './apply-env.js';
import { runCli, withTempDir, type CliResult } from './cli.js';
import { runCliInProcess } from './cli-in-process.js';
import { withEmulator, type TestEmulator } from './with-emulator.js';

/** What a spec of applies by the built CLI against an emulator works with (withApplyStory). */
export type ApplyStory = {
  emulator: TestEmulator;
  /** The spec's temporary directory, holding `dir` and `state`. */
  tmp: string;
  /** The manifests directory (`<tmp>/m`), made by its first write. */
  dir: ManifestDir;
  /** A directory store (`<tmp>/state`), created. */
  state: string;
  /** The environment that points the CLI at the emulator (emulatorEnv). */
  env: Record<string, string>;
  /** `audiencectl apply <dir> --state <state> --auto-approve`, with `flags`: a process of its own. */
  applyCli: (...flags: string[]) => Promise<CliResult>;
  /**
   * The same apply run by the CLI's entry in this process (runCliInProcess): for a story's
   * premises, which are not what it is about (a spawn costs ~0.5 s of CPU).
   */
  applyInProcess: (...flags: string[]) => Promise<CliResult>;
};

/** An emulator (operations done after 10 ms), a temporary directory and a store in it, for `fn`. */
export async function withApplyStory<T>(fn: (story: ApplyStory) => Promise<T>): Promise<T> {
  return withEmulator({ operationDelayMs: 10 }, (emulator) =>
    withTempDir(async (tmp) => {
      const dir = new ManifestDir(path.join(tmp, 'm'));
      const state = path.join(tmp, 'state');
      await ensureDirStore(state);
      const env = emulatorEnv(emulator);
      const args = (flags: string[]) => ['apply', dir.dir, '--state', state, '--auto-approve', ...flags];
      const applyCli = (...flags: string[]) => runCli(args(flags), { env });
      const applyInProcess = (...flags: string[]) => runCliInProcess(args(flags), { env });
      return fn({ emulator, tmp, dir, state, env, applyCli, applyInProcess });
    }),
  );
}
