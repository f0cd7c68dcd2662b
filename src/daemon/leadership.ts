import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';
import { errorInfo } from './status-board.js';
import type { ErrorInfo } from './types.js';
import { StateError } from '../state/errors.js';
import { CONTROLLER_COMMAND, type LockHolder } from '../state/lock-holder.js';
import type { StateStore } from '../state/store.js';

export type Role = 'leader' | 'standby';

export type LeadershipOptions = {
  store: StateStore;
  logger: Logger;
  /** How often a standby tries the lock. Default 1 000 ms. */
  pollMs?: number;
  /** Called once this replica holds the lock. */
  onElected: () => void;
  /** Called once if the lock is lost while leading (the replica must stop writing). */
  onDeposed: (error: Error) => void;
};

/**
 * Leader election for controller replicas sharing a PostgreSQL store: the leader is
 * whoever holds the store's session advisory lock, for as long as its connection
 * lives. Standbys try it every `pollMs`; a leader killed or cut off from the database
 * loses it at once (the server ends the session), so a standby takes over within a
 * poll. A leader that loses it is deposed for good (see controller.ts).
 */
export class Leadership {
  readonly #options: LeadershipOptions;
  readonly #stopped = new AbortController();
  #role: Role = 'standby';
  #holder: LockHolder | undefined;
  #since = new Date();
  #loop: Promise<void> | undefined;
  #lastError: ErrorInfo | null = null;

  constructor(options: LeadershipOptions) {
    this.#options = options;
  }

  get role(): Role {
    return this.#role;
  }

  get holder(): LockHolder {
    if (!this.#holder) throw new StateError('STATE_NOT_LEADER', 'this replica never led (bug)');
    return this.#holder;
  }

  get since(): Date {
    return this.#since;
  }

  /**
   * Why the last attempt to take the lock failed, other than by finding it held: shown in
   * /status, so that replicas none of which can reach the store do not all look healthy.
   */
  get lastError(): ErrorInfo | null {
    return this.#lastError;
  }

  start(): void {
    this.#loop ??= this.#campaign();
  }

  async #campaign(): Promise<void> {
    const { store, logger } = this.#options;
    const pollMs = this.#options.pollMs ?? 1_000;
    let lastWarning = '';
    while (!this.#stopped.signal.aborted) {
      try {
        const info = await store.lock({ timeoutMs: 0, command: CONTROLLER_COMMAND });
        if (this.#stopped.signal.aborted) {
          await store.unlock();
          return;
        }
        this.#lastError = null;
        this.#role = 'leader';
        this.#holder = info.holder;
        this.#since = new Date();
        logger.info({ role: 'leader', holder: info.holder }, 'elected leader');
        store.onLockLost?.((error) => {
          if (this.#role !== 'leader') return;
          this.#role = 'standby';
          this.#since = new Date();
          logger.error({ role: 'standby', err: error.message }, 'lost leadership');
          this.#options.onDeposed(error);
        });
        this.#options.onElected();
        return;
      } catch (error) {
        const code = error instanceof StateError ? error.code : undefined;
        // Held by another replica: the lock was reached, nothing is wrong.
        this.#lastError = code === 'STATE_LOCKED' ? null : errorInfo(error);
        if (code !== 'STATE_LOCKED') {
          const message = error instanceof Error ? error.message : String(error);
          // The database may be down for a while: say so once per distinct error.
          if (message !== lastWarning) logger.warn({ code, err: message }, 'cannot reach the state lock');
          lastWarning = message;
        }
      }
      await sleep(pollMs, undefined, { signal: this.#stopped.signal }).catch(() => undefined);
    }
  }

  /** Stops campaigning; a leader lets go of the lock (through the store's close). */
  async stop(): Promise<void> {
    this.#stopped.abort();
    await this.#loop;
  }
}

/**
 * The store as the reconciler's passes see it while this replica leads: the lock is
 * already held for the whole term, so a pass's lock/unlock only check leadership.
 */
export function leaderView(store: StateStore, leadership: Leadership): StateStore {
  return {
    location: store.location,
    shared: store.shared,
    readAll: () => store.readAll(),
    get: (sandbox, key) => store.get(sandbox, key),
    meta: () => store.meta(),
    list: () => store.list(),
    put: (record) => store.put(record),
    delete: (sandbox, key) => store.delete(sandbox, key),
    replaceIfUnchanged: (expected, next) => store.replaceIfUnchanged(expected, next),
    beginIntent: (record, kind, extra) => store.beginIntent(record, kind, extra),
    resolveIntent: (record, outcome) => store.resolveIntent(record, outcome),
    restore: (snapshot, signal) => store.restore(snapshot, signal),
    init: () => store.init(),
    lock: () => {
      if (leadership.role !== 'leader') {
        return Promise.reject(
          new StateError('STATE_NOT_LEADER', 'this replica is a standby: only the leader writes the state'),
        );
      }
      return Promise.resolve({ holder: leadership.holder });
    },
    useOrgs: (orgOf) => store.useOrgs(orgOf),
    useRevision: (revision, bySandbox) => store.useRevision(revision, bySandbox),
    markRevision: (sandboxes, revision, bySandbox) => store.markRevision(sandboxes, revision, bySandbox),
    unlock: () => Promise.resolve(),
    close: () => Promise.resolve(),
    ...(store.midWrite ? { midWrite: () => store.midWrite!() } : {}),
  };
}
