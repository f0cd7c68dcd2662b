import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';
import { errorInfo } from './status-board.js';
import { LEADER_OTHER_SOURCE, type ErrorInfo } from './types.js';
import { StateError, StateLockedError } from '../state/errors.js';
import { CONTROLLER_COMMAND, type LockHolder } from '../state/lock-holder.js';
import type { StateStore } from '../state/store.js';

export type Role = 'leader' | 'standby';

/**
 * The store's lock is held, for its whole term, by the leader of another controller (another
 * repository, branch, path, directory, filters or sandbox): not a replica of this one, so this
 * one would stand by, applying nothing, for as long as that one runs.
 */
export class OtherSourceLeaderError extends StateError {
  override readonly name = 'OtherSourceLeaderError';

  constructor(holder: LockHolder & { source: string }, own: string) {
    super(
      LEADER_OTHER_SOURCE,
      `not leading: the state lock is held by the leader of another controller (${holder.source}; ` +
        `pid ${holder.pid} on host ${holder.hostname} since ${holder.since}), not a replica of this one ` +
        `(${own}). A leader holds the lock while it runs, so this controller applies nothing until that ` +
        `one stops: give each controller its own schema (?schema=... in the state URL).`,
    );
  }
}

export type LeadershipOptions = {
  store: StateStore;
  logger: Logger;
  /**
   * What this controller reconciles (controllerSource), recorded with the lock while it leads.
   * A lock held by a leader of another source is never this one's to take over: said as
   * `lastError` (LEADER_OTHER_SOURCE) on /status, and warned once in the log.
   */
  source?: string;
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
        const info = await store.lock({
          timeoutMs: 0,
          command: CONTROLLER_COMMAND,
          ...(this.#options.source === undefined ? {} : { source: this.#options.source }),
        });
        if (this.#stopped.signal.aborted) {
          await store.unlock();
          return;
        }
        this.#lastError = null;
        this.#role = 'leader';
        this.#holder = info.holder;
        this.#since = new Date();
        // A previous holder's write, open with its lock session gone, was ended: its write rolled back.
        for (const session of info.endedWrites ?? [])
          logger.warn({ session }, 'ended an open write of a previous holder of the state lock');
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
        const other = error instanceof StateLockedError ? this.#otherSource(error.holder) : undefined;
        if (other) {
          this.#lastError = errorInfo(other);
          // Said once per leader met: it stays until that controller stops, poll after poll.
          if (other.message !== lastWarning)
            logger.warn({ code: other.code, err: other.message }, 'not leading');
          lastWarning = other.message;
        } else if (code === 'STATE_LOCKED') {
          // Held by another replica (or an apply, for a moment): the lock was reached, nothing is wrong.
          this.#lastError = null;
        } else {
          this.#lastError = errorInfo(error);
          const message = error instanceof Error ? error.message : String(error);
          // The database may be down for a while: say so once per distinct error.
          if (message !== lastWarning) logger.warn({ code, err: message }, 'cannot reach the state lock');
          lastWarning = message;
        }
      }
      await sleep(pollMs, undefined, { signal: this.#stopped.signal }).catch(() => undefined);
    }
  }

  /** The lock's holder as the leader of another source than this one, or undefined. */
  #otherSource(holder: LockHolder | undefined): OtherSourceLeaderError | undefined {
    const own = this.#options.source;
    // A holder without a source (an apply, a release before it) says nothing either way.
    if (own === undefined || holder?.source === undefined || holder.source === own) return undefined;
    return new OtherSourceLeaderError({ ...holder, source: holder.source }, own);
  }

  /** Stops campaigning; a leader lets go of the lock (through the store's close). */
  async stop(): Promise<void> {
    this.#stopped.abort();
    await this.#loop;
  }
}

/**
 * The store as the reconciler's passes see it while this replica leads: the lock is
 * already held for the whole term, so a pass's lock/unlock only check leadership. Member by
 * member: what each member of StateStore is here is said in leader-view-members.spec.ts, which
 * fails tsc when a member added to StateStore is not said there.
 */
export function leaderView(store: StateStore, leadership: Leadership): StateStore {
  return {
    location: store.location,
    shared: store.shared,
    readAll: (options) => store.readAll(options),
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
    releaseOrg: (sandbox, orgId) => store.releaseOrg(sandbox, orgId),
    useRevision: (revision, bySandbox) => store.useRevision(revision, bySandbox),
    markRevision: (sandboxes, revision, bySandbox) => store.markRevision(sandboxes, revision, bySandbox),
    unlock: () => Promise.resolve(),
    close: () => Promise.resolve(),
    ...(store.midWrite ? { midWrite: () => store.midWrite!() } : {}),
    ...(store.recordVersions ? { recordVersions: (asked) => store.recordVersions!(asked) } : {}),
  };
}
