import { Option, type Command } from 'commander';
import { parseStateLocation, type StateLocation } from '../state/location.js';
import type { CompatStore, StateStore } from '../state/store.js';

export const DEFAULT_STATE_DIR = '.audiencectl-state';

export type StateFlags = { state?: string; statePasswordFile?: string; config?: string };

/**
 * `--state <dir|url>`: a directory (the default store) or a postgres:// URL. Without
 * the flag: AUDIENCECTL_STATE, else AUDIENCECTL_STATE_DIR (older name), else
 * `.audiencectl-state`. The password of a URL may come from
 * `--state-password-file` (AUDIENCECTL_STATE_PASSWORD_FILE), PGPASSWORD or PGPASSFILE.
 */
export function addStateOptions(command: Command): Command {
  return command
    .option(
      '--state <dir|url>',
      `state store: a directory, or postgres://user@host:5432/db?schema=audiencectl (env AUDIENCECTL_STATE; default ${DEFAULT_STATE_DIR})`,
    )
    .addOption(
      new Option('--state-password-file <file>', 'file holding the PostgreSQL password').env(
        'AUDIENCECTL_STATE_PASSWORD_FILE',
      ),
    );
}

/**
 * The state location: `--state`, else AUDIENCECTL_STATE (or AUDIENCECTL_STATE_DIR), else
 * `state:` of the configuration file (`--config` or AUDIENCECTL_CONFIG), else the default.
 */
export async function stateLocationOf(
  flags: StateFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<StateLocation> {
  if (flags.state !== undefined) return parseStateLocation(flags.state, '--state');
  const fromEnv = env.AUDIENCECTL_STATE || env.AUDIENCECTL_STATE_DIR || undefined;
  if (fromEnv !== undefined) return parseStateLocation(fromEnv, 'AUDIENCECTL_STATE');
  const configFile = flags.config ?? (env.AUDIENCECTL_CONFIG || undefined);
  // The configuration's reader (the yaml library, zod) is loaded only when there is a file to read.
  const fromFile =
    configFile === undefined ? undefined : (await import('../config/load.js')).stateOfConfigFile(configFile);
  if (fromFile !== undefined) return parseStateLocation(fromFile, `state: in ${configFile}`);
  return parseStateLocation(DEFAULT_STATE_DIR, 'AUDIENCECTL_STATE');
}

export async function openStoreFor(
  flags: StateFlags,
  location?: StateLocation,
): Promise<StateStore & CompatStore> {
  const where = location ?? (await stateLocationOf(flags));
  // The stores (their locks and files' schemas, zod) are loaded only to open one: a plan
  // served by the state snapshot (read-snapshot.ts) opens none.
  const { openStateStore } = await import('../state/open.js');
  return openStateStore(where, { passwordFile: flags.statePasswordFile });
}
