import path from 'node:path';
import { emulatorEnv, ensureDirStore, ManifestDir } from './apply-env.js';
import { runCli, withTempDir, type CliResult } from './cli.js';
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
};

/** An emulator (operations done after 10 ms), a temporary directory and a store in it, for `fn`. */
export async function withApplyStory<T>(fn: (story: ApplyStory) => Promise<T>): Promise<T> {
  return withEmulator({ operationDelayMs: 10 }, (emulator) =>
    withTempDir(async (tmp) => {
      const dir = new ManifestDir(path.join(tmp, 'm'));
      const state = path.join(tmp, 'state');
      await ensureDirStore(state);
      const env = emulatorEnv(emulator);
      const applyCli = (...flags: string[]) =>
        runCli(['apply', dir.dir, '--state', state, '--auto-approve', ...flags], { env });
      return fn({ emulator, tmp, dir, state, env, applyCli });
    }),
  );
}
