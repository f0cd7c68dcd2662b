import { readRegularTextSync } from '../files/read-regular.js';
import { MAX_SECRET_FILE_BYTES } from './file-secrets.js';
import { resolveAepConfig, type ResolveInput } from './resolve.js';
import type { ConfigFile } from './schema.js';
import type { ConfigResult } from './types.js';

/**
 * The configuration a checked file (none: the environment alone) and the AEP_* variables
 * give, secret files read. A module without the configuration file's reader (the `yaml`
 * library, zod's schema): a validate or plan whose credentials are in the environment
 * checks them without loading it (~0.08 s of CPU, unconfigured-sandboxes.ts).
 */
export function resolveWithSecretFiles(
  file: { path: string; data: ConfigFile } | undefined,
  env: Readonly<Record<string, string | undefined>>,
  secrets: ResolveInput['secrets'] = 'read',
): ConfigResult {
  return resolveAepConfig({
    file,
    env,
    secrets,
    readSecretFile: (secretFile) => readRegularTextSync(secretFile, { maxBytes: MAX_SECRET_FILE_BYTES }),
  });
}
