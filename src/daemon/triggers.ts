/**
 * Why a reconcile was asked for. `poll`, `watch` and `webhook` ask "has the source
 * moved?": the pass syncs and applies only when the revision is new. The others
 * reconcile even when it has not (`resync` is the periodic safety net, `retry` a
 * backoff that ran out, `requeue` a run that was in progress, `startup` the first pass,
 * `refresh` the interval at which the audiences are read back from the service, `settle`
 * a pass that held removals because their files were being written, once they are quiet).
 */
export type TriggerReason =
  'startup' | 'poll' | 'watch' | 'webhook' | 'resync' | 'retry' | 'requeue' | 'refresh' | 'settle';

/** Reasons that reconcile even when the source revision has not changed. */
export const FORCING_REASONS: ReadonlySet<TriggerReason> = new Set([
  'startup',
  'resync',
  'retry',
  'requeue',
  'refresh',
  'settle',
]);

/**
 * Reasons that say the source has moved (a push, an edit) or ask whether it has (a poll): a pass
 * of theirs whose sync fails is synced again on the backoff, not only at the next poll, which the
 * webhook or the watch was to spare, and which left a poll's news (a commit, an edit no watch
 * saw) a whole --interval late.
 */
export const NEWS_REASONS: ReadonlySet<TriggerReason> = new Set(['poll', 'watch', 'webhook']);

export type PassRunner = (reasons: ReadonlySet<TriggerReason>) => Promise<void>;

/**
 * One reconcile at a time. A request while idle starts a pass on the next turn of the
 * event loop, so requests made together become one pass; requests arriving during a
 * pass are merged into exactly one more pass, which starts when the current one ends
 * and carries the union of their reasons.
 */
export class CoalescingTrigger {
  readonly #run: PassRunner;
  readonly #onError: (error: unknown) => void;
  #pending = new Set<TriggerReason>();
  #loop: Promise<void> | undefined;
  #inPass = false;
  #stopped = false;

  /** `onError` receives what a pass throws; the loop keeps going. */
  constructor(run: PassRunner, onError: (error: unknown) => void) {
    this.#run = run;
    this.#onError = onError;
  }

  request(reason: TriggerReason): void {
    if (this.#stopped) return;
    this.#pending.add(reason);
    this.#loop ??= this.#drain();
  }

  /** True while a pass runs. */
  get running(): boolean {
    return this.#inPass;
  }

  /** Reasons waiting for the next pass, sorted. */
  get queued(): TriggerReason[] {
    return [...this.#pending].sort();
  }

  /** Resolves once no pass runs and none is waiting. */
  async settled(): Promise<void> {
    while (this.#loop) await this.#loop;
  }

  /** Drops waiting requests, refuses new ones, and resolves when the current pass ends. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#pending.clear();
    await this.settled();
  }

  async #drain(): Promise<void> {
    // One macrotask of delay: every request made in the same tick joins this pass.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.#pending.size > 0 && !this.#stopped) {
      const reasons: ReadonlySet<TriggerReason> = new Set(this.#pending);
      this.#pending.clear();
      this.#inPass = true;
      try {
        await this.#run(reasons);
      } catch (error) {
        this.#onError(error);
      } finally {
        this.#inPass = false;
      }
    }
    this.#loop = undefined;
  }
}
