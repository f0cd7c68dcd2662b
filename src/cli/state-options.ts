import { Option, type Command } from 'commander';
import { parseStateLocation, type StateLocation } from '../state/location.js';
import type { OpenOptions } from '../state/open.js';
import type { CompatStore, StateStore } from '../state/store.js';
import { UsageError } from '../errors.js';
import { addProblemCheck, durationOption } from './typed-options.js';
import type { PasteFlags } from '../text/paste-flags.js';

export const DEFAULT_STATE_DIR = '.audiencectl-state';
const PASSWORD_FILE_ENV = 'AUDIENCECTL_STATE_PASSWORD_FILE';

export type StateFlags = {
  state?: string;
  statePasswordFile?: string;
  /** What gave --state-password-file's value when not the flag: its variable (addStateOptions). */
  statePasswordFileFrom?: string;
  /** ms */ stateConnectTimeout?: number;
  /** ms */ stateQueryTimeout?: number;
  config?: string;
  /** The flags the commands the store's messages print carry (paste-flags.ts); none by default. */
  paste?: PasteFlags;
};

/**
 * `--state-connect-timeout` and `--state-query-timeout` (PostgreSQL): without them, a
 * connection or a query on a network that silently drops packets waits as long as TCP
 * retries, about 15 minutes. Also defined by `state migrate`.
 */
export function stateTimeoutOptions(): [connect: Option, query: Option] {
  return [
    durationOption(
      '--state-connect-timeout <duration>',
      'PostgreSQL state: give up connecting after this (default 10s)',
      's',
      { positive: true },
    ).env('AUDIENCECTL_STATE_CONNECT_TIMEOUT'),
    durationOption(
      '--state-query-timeout <duration>',
      'PostgreSQL state: give up on a query unanswered this long (default 30s)',
      's',
      { positive: true },
    ).env('AUDIENCECTL_STATE_QUERY_TIMEOUT'),
  ];
}

/** How to reach the store besides its location: password file, timeouts. */
export function stateAccessOf(flags: StateFlags): OpenOptions {
  return {
    passwordFile: flags.statePasswordFile,
    passwordFileSetting: flags.statePasswordFileFrom,
    connectTimeoutMs: flags.stateConnectTimeout,
    queryTimeoutMs: flags.stateQueryTimeout,
    paste: flags.paste,
  };
}

/**
 * `--state <dir|url>`: a directory (the default store) or a postgres:// URL. Without
 * the flag: AUDIENCECTL_STATE, else AUDIENCECTL_STATE_DIR (older name), else
 * `.audiencectl-state`. The password of a URL may come from
 * `--state-password-file` (AUDIENCECTL_STATE_PASSWORD_FILE), PGPASSWORD or PGPASSFILE.
 */
export function addStateOptions(command: Command): Command {
  command
    .option(
      '--state <dir|url>',
      `state store: a directory, or postgres://user@host:5432/db?schema=audiencectl (env AUDIENCECTL_STATE; default ${DEFAULT_STATE_DIR})`,
    )
    .addOption(
      new Option('--state-password-file <file>', 'file holding the PostgreSQL password').env(
        PASSWORD_FILE_ENV,
      ),
    );
  for (const option of stateTimeoutOptions()) command.addOption(option);
  // The file's refusals name the variable when it gave the file (a deployment sets only that).
  command.hook('preAction', (invoked) => {
    if (invoked.getOptionValueSource('statePasswordFile') === 'env')
      invoked.setOptionValue('statePasswordFileFrom', PASSWORD_FILE_ENV);
  });
  return addProblemCheck(command, stateEnvProblems);
}

/**
 * AUDIENCECTL_STATE set but empty (or blank): `-e AUDIENCECTL_STATE="$DB_URL"` with DB_URL
 * unset, a Secret's key that did not resolve. Read as unset, AUDIENCECTL_STATE_DIR (which
 * the image always sets) or the default was used: another, empty store, on which `init`
 * reported success and a controller planned every audience as new. Refused like `--state ""`.
 */
export function emptyStateEnvProblem(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.AUDIENCECTL_STATE === undefined || env.AUDIENCECTL_STATE.trim() !== '') return undefined;
  return 'AUDIENCECTL_STATE: the value is empty (an unset shell variable?); give a directory or a postgres:// URL, or unset it';
}

/** emptyStateEnvProblem for a command with `--state`, reported with its other bad options (typed-options.ts). */
export function stateEnvProblems(command: Command): string[] {
  if (command.getOptionValue('state') !== undefined) return [];
  const problem = emptyStateEnvProblem();
  return problem === undefined ? [] : [problem];
}

/** A state location, and where it came from: `--state`, a variable, `state: in <file>`, or the default. */
export type LocatedState = { location: StateLocation; from: string };

/**
 * The state location: `--state`, else AUDIENCECTL_STATE (or AUDIENCECTL_STATE_DIR), else
 * `state:` of the configuration file (`--config` or AUDIENCECTL_CONFIG), else the default.
 */
export async function locateState(
  flags: StateFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LocatedState> {
  const at = (text: string, from: string) => ({ location: parseStateLocation(text, from), from });
  if (flags.state !== undefined) return at(flags.state, '--state');
  const empty = emptyStateEnvProblem(env);
  if (empty !== undefined) throw new UsageError('STATE_EMPTY', empty);
  if (env.AUDIENCECTL_STATE !== undefined) return at(env.AUDIENCECTL_STATE, 'AUDIENCECTL_STATE');
  // The older name; empty, it is unset (the image sets it; a deployment may blank it).
  if (env.AUDIENCECTL_STATE_DIR) return at(env.AUDIENCECTL_STATE_DIR, 'AUDIENCECTL_STATE_DIR');
  const configFile = flags.config ?? (env.AUDIENCECTL_CONFIG || undefined);
  // The configuration's reader (the yaml library, zod) is loaded only when there is a file to read.
  const fromFile =
    configFile === undefined
      ? undefined
      : (await import('../config/read-file.js')).stateOfConfigFile(configFile);
  if (fromFile !== undefined) return at(fromFile, `state: in ${configFile}`);
  return at(DEFAULT_STATE_DIR, 'AUDIENCECTL_STATE');
}

/** The state location (locateState), without where it came from. */
export async function stateLocationOf(
  flags: StateFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<StateLocation> {
  return (await locateState(flags, env)).location;
}

export async function openStoreFor(
  flags: StateFlags,
  location?: StateLocation,
): Promise<StateStore & CompatStore> {
  const where = location ?? (await stateLocationOf(flags));
  // The stores (their locks and files' schemas, zod) are loaded only to open one: a plan
  // served by the state snapshot (read-snapshot.ts) opens none.
  const { openStateStore } = await import('../state/open.js');
  return openStateStore(where, storeAccessOf(flags));
}

/**
 * How a command of one store (apply, plan, the state commands, run) opens the one `flags`
 * locate (locateState): stateAccessOf, and whether its URL came from --state. Without --state
 * it came from AUDIENCECTL_STATE or the configuration file, which a printed `init` inherits
 * (password and all), so the store's messages name the flags typed and not the URL.
 */
export function storeAccessOf(flags: StateFlags): OpenOptions {
  return { ...stateAccessOf(flags), urlInherited: flags.state === undefined };
}
