import type { Logger } from '../log.js';
import type { LoadResult } from '../manifest/load.js';
import { RefreshError, type SandboxRefreshFailure } from '../apply/refresh.js';
import type { StepResult } from '../apply/types.js';
import { holdUnreachableSandboxes } from '../manifest/hold-sandboxes.js';
import type { Plan } from '../plan/schema.js';
import type { AudienceRecord } from '../state/schema.js';
import { MAX_ASKED_WAIT_MS, leavesRunInProgress, wantsRequeue } from './audiences.js';
import { publishRefresh } from './refresh-outcome.js';
import { correctionLeft, correctionsStanding, withStandingDrift } from './drift-status.js';
import { errorInfo } from './status-board.js';
import { publishClock } from './clock-status.js';
import { applyDesired, planDesired, recordBudget } from './pass-steps.js';
import type { PassDeps, PassResult, PassRevision, Refresh, WritingLog } from './pass-types.js';

export type { PassDeps, PassResult, PassRevision, ReconcileSettings } from './pass-types.js';
export { loadRevision } from './load-revision.js';

/**
 * One reconcile of one revision (its manifests read by the caller): plan, then apply (auto-approved) or, in
 * dry-run, stop after publishing the plan. Publishes the plan, per-audience states and
 * the run budget. Throws when the pass as a whole failed (state locked, store unreadable).
 */
export async function reconcileRevision(
  revision: PassRevision,
  desired: LoadResult,
  deps: PassDeps,
  log: Logger,
  refresh = false,
): Promise<PassResult> {
  if (deps.settings.holdSandboxesWithoutCredentials !== false)
    desired = holdUnreachableSandboxes(desired, (sandbox) => deps.client.orgOf(sandbox) !== undefined);
  if (desired.failedFiles.length > 0) {
    log.warn({ files: desired.failedFiles }, 'manifests with errors: their audiences are held');
  }
  let plan: Plan;
  let results: StepResult[] | undefined;
  let records: AudienceRecord[];
  // A failed refresh is reported, and the pass plans from the records alone: manifest
  // changes still go through while the Audiences API is down. Nothing is read as deleted.
  let refreshed = refresh;
  const writing: WritingLog = { quietAt: undefined, now: deps.fileClock ?? Date.now };
  // The sandboxes the refresh could not read: planned from their records alone, the others
  // from what was read.
  const failed: SandboxRefreshFailure[] = [];
  const reading: Refresh = refresh && { sandboxFailed: (failure) => failed.push(failure) };
  const withoutRefresh = (error: unknown) => {
    if (!refresh || !(error instanceof RefreshError) || deps.signal.aborted) throw error;
    refreshed = false;
    failed.length = 0;
    const info = errorInfo(error, new Date(deps.clock.now()));
    deps.board.refreshFailed(info);
    log.warn({ code: info.code, err: info.message }, 'refresh failed; planned from the records alone');
  };
  if (deps.settings.dryRun) {
    ({ plan, records } = await planDesired(revision, desired, deps, reading, writing).catch(
      async (error: unknown) => {
        withoutRefresh(error);
        return planDesired(revision, desired, deps, false, writing);
      },
    ));
  } else {
    // One met by an earlier pass (outside a step: a dry run's, a standby's) is not this pass's.
    deps.unwritable?.();
    ({ plan, results } = await applyDesired(revision, desired, deps, log, reading, writing).catch(
      async (error: unknown) => {
        withoutRefresh(error);
        writing.quietAt = undefined;
        return applyDesired(revision, desired, deps, log, false, writing);
      },
    ));
    // A record that could not be written, as the store takes no writes (a call's outcome, an
    // intent settled): the pass fails with it, after its steps as any failure after them, and the
    // controller is not ready until the store takes writes (run-unwritable-after-call).
    const unwritable = deps.unwritable?.();
    if (unwritable) throw unwritable;
    records = (await deps.store.readAll()).audiences;
  }
  const now = deps.clock.now();
  const standing = refreshed ? publishRefresh(deps, { plan, results, failed }, now, log) : [];
  if (results) {
    const waited = deps.tracker.record(
      plan,
      results,
      now,
      deps.signal.aborted,
      correctionsStanding(deps.board.drifted),
      (sandbox) => deps.client.askedWait?.(sandbox),
    );
    for (const held of waited)
      log.warn(held, 'AEP asked for a wait longer than retry.maxRetryAfterMs; the next attempt waits for it');
  } else deps.tracker.forgetAllBut(new Set());
  const states = deps.tracker.states(records, plan, results, now);
  if (refreshed) deps.board.driftedAudiences(states);
  deps.board.audiencesChanged(
    withStandingDrift(
      states,
      deps.board.drifted,
      new Date(now),
      (drift) => deps.board.driftedAudience(drift),
      (id) => deps.tracker.backoff.get(id),
    ),
  );
  recordBudget(deps, records, desired);
  publishClock(deps.client, deps.board, deps.metrics, log);
  if (writing.quietAt !== undefined)
    log.info(
      { held: plan.held.length, quietAt: new Date(writing.quietAt).toISOString() },
      'removals held: their files were being written; a pass follows once they are quiet',
    );
  return {
    plan,
    results,
    requeue: (results?.some(wantsRequeue) ?? false) || leavesRunInProgress(plan, results),
    // A sandbox left unread is read again on the backoff schedule.
    ...(refresh ? { refreshed: refreshed && failed.length === 0 } : {}),
    ...refreshWait(deps.client, failed),
    ...(correctionLeft(standing, deps.settings.dryRun) ? { readAgain: true } : {}),
    ...(writing.quietAt === undefined ? {} : { quietAt: writing.quietAt }),
  };
}

/** The longest wait left that the service asked of a sandbox the refresh did not read (capped at a day). */
function refreshWait(
  client: PassDeps['client'],
  failed: readonly SandboxRefreshFailure[],
): { refreshWaitMs?: number } {
  const left = failed.map((failure) => client.askedWait?.(failure.sandbox)?.leftMs ?? 0);
  const longest = Math.min(Math.max(0, ...left), MAX_ASKED_WAIT_MS);
  return longest > 0 ? { refreshWaitMs: longest } : {};
}
