import type { UsageError } from '../errors.js';
import { registerSecret } from '../text/secrets.js';
import { invalid, problemLines } from './problem-lines.js';
import type { Locate, readConfigFile } from './read-file.js';
import { resolveWithSecretFiles } from './resolve-env.js';
import type { ResolveInput } from './resolve.js';
import type { ConfigFile } from './schema.js';
import type { AepConfig } from './types.js';

// The AEP configuration checked for the commands that connect (apply, init, plan --refresh, the
// state commands that call the service): a configuration file through its reader (read-file.ts,
// with the yaml library and zod's schema, ~0.05 s of CPU to load), loaded only when a file is
// given; the environment alone (a CI job's AEP_* variables) without it. load.ts is the same
// check, synchronous, with the reader always loaded.

export type LoadAepConfigOptions = {
  /** `--config <file>`: YAML or JSON. Optional: the environment alone is enough. */
  configFile?: string | undefined;
  /** Usually process.env. */
  env: Readonly<Record<string, string | undefined>>;
  /** `named`: the secrets the file names are not read (ResolveInput). Default `read`. */
  secrets?: ResolveInput['secrets'];
};

/** A checked configuration, or every problem found: as lines, and as the error to throw. */
export type CheckedAepConfig =
  { ok: true; config: AepConfig } | { ok: false; lines: string[]; error: UsageError };

/** A configuration file read and validated (readConfigFile), under the name it was given by. */
type ReadConfig = Extract<ReturnType<typeof readConfigFile>, { ok: true }> & { name: string };

/** The configuration of `read` (none: the environment alone) with the environment, resolved and checked. */
export function checkedWith(read: ReadConfig | undefined, options: LoadAepConfigOptions): CheckedAepConfig {
  const file: { path: string; data: ConfigFile } | undefined = read?.file;
  const locate: Locate = read?.locate ?? (() => undefined);
  const result = resolveWithSecretFiles(file, options.env, options.secrets);
  if (!result.ok) {
    const placed = result.problems.map((problem) => ({ ...locate(problem.key), ...problem }));
    const lines = problemLines(read?.name, placed);
    return { ok: false, lines, error: invalid(read?.name, lines) };
  }
  return { ok: true, config: result.config };
}

/** Registers every client secret of `config` with the redaction; returns it. */
export function registerConfigSecrets(config: AepConfig): AepConfig {
  for (const sandbox of Object.values(config.sandboxes)) registerSecret(sandbox.credentials.clientSecret);
  registerSecret(config.defaultAccess?.credentials.clientSecret);
  return config;
}

/** checkAepConfig (load.ts): the file's reader loaded only when a file is given. */
export async function checkAepConfigLazily(options: LoadAepConfigOptions): Promise<CheckedAepConfig> {
  const name = options.configFile;
  if (name === undefined) return checkedWith(undefined, options);
  const read = (await import('./read-file.js')).readConfigFile(name, options.env);
  return read.ok ? checkedWith({ name, ...read }, options) : read;
}

/** loadAepConfig (load.ts): the file's reader loaded only when a file is given. */
export async function loadAepConfigLazily(options: LoadAepConfigOptions): Promise<AepConfig> {
  const checked = await checkAepConfigLazily(options);
  if (!checked.ok) throw checked.error;
  return registerConfigSecrets(checked.config);
}
