import { registerSecret } from '../text/secrets.js';
import type { ConfigFile } from './schema.js';
import { resolveWithSecretFiles } from './resolve-env.js';
import type { ResolveInput } from './resolve.js';
import type { AepConfig } from './types.js';
import { invalid, problemLines, readConfigFile, type Locate } from './read-file.js';
import type { UsageError } from '../errors.js';

export {
  checkConfigFile,
  defaultSandboxOfConfigFile,
  parseConfigText,
  stateOfConfigFile,
  type Locate,
} from './read-file.js';

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

/**
 * Reads and checks the AEP configuration without throwing. A file that cannot be read
 * or validated stops resolution, but the environment is still checked, so one pass
 * reports the file's problems and the environment's together.
 */
export function checkAepConfig(options: LoadAepConfigOptions): CheckedAepConfig {
  let file: { path: string; data: ConfigFile } | undefined;
  let locate: Locate = () => undefined;
  const name = options.configFile;
  if (name !== undefined) {
    const read = readConfigFile(name, options.env);
    if (!read.ok) return read;
    file = read.file;
    locate = read.locate;
  }
  const result = resolveWithSecretFiles(file, options.env, options.secrets);
  if (!result.ok) {
    const placed = result.problems.map((problem) => ({ ...locate(problem.key), ...problem }));
    const lines = problemLines(name, placed);
    return { ok: false, lines, error: invalid(name, lines) };
  }
  return { ok: true, config: result.config };
}

/**
 * Reads and checks the AEP configuration: `configFile` (YAML or JSON) if given, the AEP_*
 * variables of `env` for what it leaves out, defaults for the rest. Registers every secret
 * with the logger's redaction. Throws a UsageError (exit code 1) listing every problem,
 * each with its file position or environment variable.
 */
export function loadAepConfig(options: LoadAepConfigOptions): AepConfig {
  const checked = checkAepConfig(options);
  if (!checked.ok) throw checked.error;
  const { config } = checked;
  for (const sandbox of Object.values(config.sandboxes)) registerSecret(sandbox.credentials.clientSecret);
  registerSecret(config.defaultAccess?.credentials.clientSecret);
  return config;
}
