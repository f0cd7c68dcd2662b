import { waitLeftFrom, type AskedWait } from '../aep/asked-waits.js';
import type { StepResult, StepStatus } from '../apply/types.js';
import type { Plan, Step } from '../plan/schema.js';
import { lastRunFailure } from '../state/describe.js';
import { runLeftInProgress } from '../plan/runs-in-progress.js';
import type { AudienceRecord } from '../state/schema.js';
import { compareText } from '../text/compare.js';
import { BackoffTable, type BackoffPolicy } from './backoff.js';
import type { AudienceState, AudienceStatus, ErrorInfo } from './types.js';

/**
 * The longest Retry-After the controller waits for before trying a failed audience again: a
 * date a service writes wrong (a year off) holds no audience for ever.
 */
export const MAX_ASKED_WAIT_MS = 24 * 60 * 60 * 1000;

/** An audience held for a wait the service asked for (AudienceTracker.record). */
export type AskedWaitTaken = { sandbox: string; key: string; retryAfterMs: number; nextAttemptAt: string };

/** Start of the `deferred` note on steps held back by a backoff. */
export const BACKOFF_NOTE = 'backing off';

const RANK: Record<AudienceState, number> = {
  'in-sync': 0,
  pending: 1,
  'waiting-run': 2,
  failed: 3,
  backoff: 4,
  blocked: 5,
};

/** True when `a` is a worse state than `b` (shown in its place). */
export function worseState(a: AudienceState, b: AudienceState): boolean {
  return RANK[a] > RANK[b];
}

const idOf = (x: { sandbox: string; key: string }): string => `${x.sandbox}/${x.key}`;
const iso = (ms: number): string => new Date(ms).toISOString();

/** What an audience's steps would do: a different fingerprint is different work, tried at once. */
export function stepsFingerprint(steps: readonly Step[]): string {
  return JSON.stringify(
    steps.map((s) => [
      s.kind,
      s.audienceId ?? null,
      s.target?.hash ?? null,
      s.patch ?? null,
      s.run?.reason ?? null,
    ]),
  );
}

function byAudience<T>(items: readonly T[], step: (item: T) => Step): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const id = idOf(step(item));
    const group = groups.get(id);
    if (group) group.push(item);
    else groups.set(id, [item]);
  }
  return groups;
}

/** A step outcome (or, before execution, a planned step) as an audience state. */
export function stateOf(step: Step, status: StepStatus | undefined): AudienceState {
  const backingOff = step.deferred?.startsWith(BACKOFF_NOTE) ?? false;
  if (status === undefined) {
    if (step.blocked) return 'blocked';
    return backingOff ? 'backoff' : 'pending';
  }
  if (status === 'deferred') {
    if (step.deferred === undefined) return 'waiting-run'; // the executor found a run in progress
    return backingOff ? 'backoff' : 'pending';
  }
  const states: Record<Exclude<StepStatus, 'deferred'>, AudienceState> = {
    applied: 'in-sync',
    started: 'waiting-run',
    failed: 'failed',
    blocked: 'blocked',
    skipped: 'pending',
  };
  return states[status];
}

/** A step not sent for the wait the service asked of its sandbox (apply/asked-wait-hold.ts). */
function waitsForService(result: StepResult): boolean {
  return result.status === 'blocked' && result.askedWait !== undefined;
}

/** True when a result asks for a later pass: a run was in progress, so the step waits (requeue). */
export function wantsRequeue(result: StepResult): boolean {
  return result.status === 'deferred' && result.step.deferred === undefined;
}

/**
 * True when a pass leaves a run in progress that a later pass follows (it reads the run again
 * before planning): one a step started and left after --run-wait, or one read again that has
 * not ended or could not be read. A requeue brings that pass within --requeue-after.
 */
export function leavesRunInProgress(plan: Plan, results: readonly StepResult[] | undefined): boolean {
  if ((plan.runsInProgress?.length ?? 0) > 0) return true;
  return results?.some((r) => r.step.kind === 'run' && r.status === 'started') ?? false;
}

/**
 * Per-audience memory across passes: failures and their exponential backoff, the last
 * error, and the state shown on /status.
 */
export class AudienceTracker {
  readonly backoff: BackoffTable;
  readonly #errors = new Map<string, ErrorInfo>();

  /** `monotonic`: see BackoffTable. */
  constructor(policy: BackoffPolicy, monotonic?: () => number) {
    this.backoff = new BackoffTable(policy, monotonic);
  }

  /**
   * Marks the steps of audiences still backing off as deferred, as the planner does
   * for the run budget, so the executor leaves them alone. Returns how many it held.
   */
  hold(plan: Plan, now: number): number {
    let held = 0;
    for (const [id, steps] of byAudience(plan.steps, (s) => s)) {
      const entry = this.backoff.holds(id, stepsFingerprint(steps), now);
      if (!entry) continue;
      for (const step of steps) {
        if (step.blocked || step.deferred) continue;
        step.deferred = `${BACKOFF_NOTE} after ${entry.failures} failure(s); next attempt at ${iso(entry.nextAttemptAt)}`;
        held += 1;
      }
    }
    return held;
  }

  /**
   * Takes in a pass's results: a failure backs off (unless stopping), a success clears.
   * `askedWait`: the wait the service asked of a sandbox and the client did not take
   * (AepClient.askedWait): a failed audience of it is not tried again before it ends, whatever
   * the backoff (up to a day); returns the audiences so held.
   * `correcting`: audiences whose drift correction a refresh left to retry (correctionsStanding):
   * planned from the records, the passes until its retry have no step for them, and their
   * backoff is kept all the same, so that it grows while AEP refuses.
   */
  record(
    plan: Plan,
    results: readonly StepResult[],
    now: number,
    stopping: boolean,
    correcting: ReadonlySet<string> = new Set(),
    askedWait?: (sandbox: string) => Pick<AskedWait, 'retryAfterMs' | 'leftMs' | 'until'> | undefined,
  ): AskedWaitTaken[] {
    const planned = byAudience(plan.steps, (s) => s);
    const waited: AskedWaitTaken[] = [];
    for (const [id, list] of byAudience(results, (r) => r.step)) {
      // Not sent for the wait the service asked of its sandbox: tried again once it is over, as
      // a failure in that sandbox is (a block would wait for a new revision, or the resync).
      const failed = list.find((r) => r.status === 'failed') ?? list.find(waitsForService);
      const blocked = list.find((r) => r.status === 'blocked');
      if (failed) {
        const error = {
          code: failed.status === 'failed' ? 'STEP_FAILED' : 'STEP_HELD',
          message: `${failed.step.kind}: ${failed.message}`,
          at: iso(now),
        };
        this.#errors.set(id, error);
        if (stopping) continue;
        const { sandbox } = failed.step;
        const wait = askedWait?.(sandbox);
        const leftMs = Math.min(wait === undefined ? 0 : waitLeftFrom(now, wait), MAX_ASKED_WAIT_MS);
        const fingerprint = stepsFingerprint(planned.get(id) ?? []);
        const entry = this.backoff.recordFailure(id, fingerprint, now, error, leftMs);
        // The service asked this sandbox to wait longer than the backoff would: said where the
        // retry time shows (/status, the deferred step), or it reads as the backoff's.
        if (wait !== undefined && entry.nextAttemptAt === now + leftMs) {
          const at = iso(entry.nextAttemptAt);
          error.message += ` The controller waits for the Retry-After AEP gave (${Math.ceil(wait.retryAfterMs / 1000)} s): next attempt at ${at}.`;
          waited.push({ sandbox, key: failed.step.key, retryAfterMs: wait.retryAfterMs, nextAttemptAt: at });
        }
      } else if (blocked) {
        this.#errors.set(id, { code: 'STEP_BLOCKED', message: blocked.message, at: iso(now) });
        this.backoff.clear(id);
      } else if (list.every((r) => r.status === 'applied' || r.status === 'started')) {
        this.#errors.delete(id);
        this.backoff.clear(id);
      }
    }
    this.forgetAllBut(new Set([...planned.keys(), ...correcting]));
    return waited;
  }

  /** Audiences without steps are in sync: their failures are history. */
  forgetAllBut(keys: ReadonlySet<string>): void {
    this.backoff.retain(keys);
    for (const id of this.#errors.keys()) if (!keys.has(id)) this.#errors.delete(id);
  }

  /**
   * One entry per audience recorded or planned: the worst state among its steps.
   * `results` undefined means the plan was not executed (dry-run).
   */
  states(
    records: readonly AudienceRecord[],
    plan: Plan,
    results: readonly StepResult[] | undefined,
    now: number,
  ): AudienceStatus[] {
    const out = new Map<string, AudienceStatus>();
    for (const record of records) {
      // A run left in progress (after --run-wait) is followed by the next passes: not in sync yet.
      let state: AudienceState = record.intent ? 'pending' : 'in-sync';
      if (state === 'in-sync' && record.audienceId && runLeftInProgress(record)) state = 'waiting-run';
      if (record.blocked) state = 'blocked';
      const runFailure = lastRunFailure(record);
      out.set(idOf(record), {
        sandbox: record.sandbox,
        key: record.key,
        state,
        ...(record.audienceId ? { audienceId: record.audienceId } : {}),
        ...(record.blocked ? { lastError: { ...record.blocked } } : {}),
        ...(runFailure ? { lastRunFailure: runFailure } : {}),
      });
    }
    const outcomes = results ?? plan.steps.map((step) => ({ step, status: undefined }));
    for (const outcome of outcomes) {
      const { step } = outcome;
      // Held for the service's wait: backing off until it is over (#decorate), not blocked.
      const status = 'message' in outcome && waitsForService(outcome) ? 'failed' : outcome.status;
      const id = idOf(step);
      const removal = step.kind === 'delete' || step.kind === 'forget';
      if (removal && status === 'applied') {
        out.delete(id);
        continue;
      }
      const entry = out.get(id) ?? { sandbox: step.sandbox, key: step.key, state: 'in-sync' };
      const state = stateOf(step, status);
      if (RANK[state] > RANK[entry.state]) entry.state = state;
      // Planned, not executed (dry-run): the plan's block says why, as an executed one would.
      if (status === undefined && step.blocked)
        entry.lastError ??= { code: 'STEP_BLOCKED', message: step.blocked, at: iso(now) };
      out.set(id, entry);
    }
    for (const held of plan.held) {
      // Held for a manifest this pass did not read (another directory's sharing the store): not
      // this controller's audience, and nothing here is wrong with it. Listed as blocked, an
      // alert on blocked audiences would fire on every controller for every other directory's.
      if (held.elsewhere) {
        out.delete(idOf(held));
        continue;
      }
      const entry = out.get(idOf(held)) ?? { sandbox: held.sandbox, key: held.key, state: 'blocked' };
      entry.state = 'blocked';
      entry.lastError = { code: 'MANIFEST_INVALID', message: held.reason, at: iso(now) };
      out.set(idOf(held), entry);
    }
    for (const [id, entry] of out) this.#decorate(id, entry);
    return [...out.values()].sort((a, b) => compareText(idOf(a), idOf(b)));
  }

  #decorate(id: string, entry: AudienceStatus): void {
    const error = this.#errors.get(id);
    if (error && entry.lastError === undefined && entry.state !== 'in-sync') entry.lastError = error;
    const backoff = this.backoff.get(id);
    if (backoff && (entry.state === 'failed' || entry.state === 'backoff')) {
      entry.state = 'backoff';
      entry.failures = backoff.failures;
      entry.nextAttemptAt = iso(backoff.nextAttemptAt);
      entry.lastError ??= backoff.lastError;
    }
  }
}
