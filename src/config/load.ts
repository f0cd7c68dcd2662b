import type { AepConfig } from './types.js';
import { readConfigFile } from './read-file.js';
import {
  checkedWith,
  registerConfigSecrets,
  type CheckedAepConfig,
  type LoadAepConfigOptions,
} from './check.js';

export {
  checkConfigFile,
  defaultSandboxOfConfigFile,
  parseConfigText,
  stateOfConfigFile,
  type Locate,
} from './read-file.js';
export type { CheckedAepConfig, LoadAepConfigOptions } from './check.js';

/**
 * Reads and checks the AEP configuration without throwing. A file that cannot be read
 * or validated stops resolution, but the environment is still checked, so one pass
 * reports the file's problems and the environment's together. (The CLI's commands check it
 * through check.ts's checkAepConfigLazily, which loads this file's reader for a file only.)
 */
export function checkAepConfig(options: LoadAepConfigOptions): CheckedAepConfig {
  const name = options.configFile;
  if (name === undefined) return checkedWith(undefined, options);
  const read = readConfigFile(name, options.env);
  return read.ok ? checkedWith({ name, ...read }, options) : read;
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
  return registerConfigSecrets(checked.config);
}
