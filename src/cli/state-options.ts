import { Option, type Command } from 'commander';
import { openStateStore } from '../state/open.js';
import { parseStateLocation, type StateLocation } from '../state/location.js';
import type { StateStore } from '../state/store.js';

export const DEFAULT_STATE_DIR = '.audiencectl-state';

export type StateFlags = { state?: string; statePasswordFile?: string };

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

/** The state location the flags and the environment name. */
export function stateLocationOf(flags: StateFlags): StateLocation {
  const given =
    flags.state ?? (process.env.AUDIENCECTL_STATE || process.env.AUDIENCECTL_STATE_DIR || undefined);
  return parseStateLocation(
    given ?? DEFAULT_STATE_DIR,
    flags.state === undefined ? 'AUDIENCECTL_STATE' : '--state',
  );
}

export function openStoreFor(flags: StateFlags, location = stateLocationOf(flags)): Promise<StateStore> {
  return openStateStore(location, { passwordFile: flags.statePasswordFile });
}
