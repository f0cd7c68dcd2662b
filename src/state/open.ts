import { refuseInterruptedSwap } from './dir-swap.js';
import { FileStateStore } from './file-store.js';
import { parseStateLocation, type StateLocation } from './location.js';
import type { CompatStore, StateStore } from './store.js';
import { refuseForeignDirectory } from './store-dir.js';
import type { PasteFlags } from '../text/paste-flags.js';

/** How to reach a PostgreSQL store besides its URL (see pg/connection.ts). */
export type OpenOptions = {
  /** `--state-password-file`: a file holding only the database password. */
  passwordFile?: string | undefined;
  /** What gave `passwordFile` (PgAccess.passwordFileSetting): its refusals start with it. */
  passwordFileSetting?: string | undefined;
  /** ms; `--state-connect-timeout` (default 10 s). */
  connectTimeoutMs?: number | undefined;
  /** ms; `--state-query-timeout` (default 30 s). */
  queryTimeoutMs?: number | undefined;
  /** The flags the commands the store's messages print carry (src/text/paste-flags.ts). */
  paste?: PasteFlags | undefined;
  /** The location came from the environment or the configuration file, not a flag (PgAccess). */
  urlInherited?: boolean | undefined;
  /**
   * The flag that named the store, where a command takes two (`state migrate`'s `--from` and
   * `--to`): its refusals of the store name it, not --state, so that they say which side.
   */
  flag?: string | undefined;
};

/**
 * The store `--state` names: a directory (the default store) or a postgres:// URL.
 * The PostgreSQL client is loaded only when a URL asks for it.
 */
export async function openStateStore(
  location: string | StateLocation,
  options: OpenOptions = {},
): Promise<StateStore & CompatStore> {
  const where = typeof location === 'string' ? parseStateLocation(location) : location;
  if (where.kind === 'dir') {
    await refuseInterruptedSwap(where.dir);
    await refuseForeignDirectory(where.dir, options.flag);
    return new FileStateStore(where.dir, options.paste);
  }
  const { PgStateStore } = await import('./pg/pg-store.js');
  if (options.passwordFile) {
    const { checkPasswordFile } = await import('./pg/connection.js');
    await checkPasswordFile(options.passwordFile, options.passwordFileSetting);
  }
  return new PgStateStore(where.url, where.schema, where.display, {
    passwordFile: options.passwordFile,
    passwordFileSetting: options.passwordFileSetting,
    connectTimeoutMs: options.connectTimeoutMs,
    queryTimeoutMs: options.queryTimeoutMs,
    applicationName: 'audiencectl',
    paste: options.paste,
    urlInherited: options.urlInherited,
    flag: options.flag,
  });
}
