import { RefreshError, type SandboxRefreshFailure } from '../apply/refresh.js';
import type { StepResult } from '../apply/types.js';
import type { Logger } from '../log.js';
import type { Plan } from '../plan/schema.js';
import { driftStatuses, publishDrift } from './drift-status.js';
import type { DaemonMetrics } from './metrics.js';
import { errorInfo, type StatusBoard } from './status-board.js';
import type { DriftInfo } from './types.js';

/**
 * Publishes what a pass's refresh found: its drift on /status and the metrics, and the sandboxes
 * it could not read (planned from their records alone) as `refresh.lastError`. Only a refresh
 * that read every sandbox is a successful one (`lastAt`, the last-successful-refresh metric):
 * a sandbox left unread is read again on the backoff schedule. Returns the drift now shown.
 * `lastAt` and the metric are when the audiences were read (the plan's `refresh.at`, as /plan
 * says it), not when the pass ended: its steps and the runs it followed came after the read.
 */
export function publishRefresh(
  deps: { board: StatusBoard; metrics: DaemonMetrics },
  outcome: {
    plan: Plan;
    results: readonly StepResult[] | undefined;
    failed: readonly SandboxRefreshFailure[];
  },
  now: number,
  log: Logger,
): DriftInfo[] {
  const at = new Date(now);
  const readAt = outcome.plan.refresh ? new Date(outcome.plan.refresh.at) : at;
  const found = driftStatuses(outcome.plan, outcome.results);
  const { failed } = outcome;
  for (const { sandbox, error } of failed)
    log.warn(
      { code: error.code, sandbox, err: errorInfo(error, at).message },
      'refresh of a sandbox failed; its audiences planned from their records alone',
    );
  const failure =
    failed.length === 0
      ? undefined
      : { sandboxes: new Set(failed.map((f) => f.sandbox)), error: errorInfo(joined(failed), at) };
  const standing = deps.board.refreshed(readAt, found, failure);
  publishDrift(deps.metrics, found, standing);
  if (failure === undefined) deps.metrics.lastRefreshTimestamp.set(readAt.getTime() / 1000);
  if (found.length > 0)
    log.info({ drifted: found.length }, 'refresh found audiences changed outside audiencectl');
  return standing;
}

/** The failures of several sandboxes as one error, each sandbox's message in turn. */
function joined(failed: readonly SandboxRefreshFailure[]): RefreshError {
  const [first] = failed;
  if (failed.length === 1 && first) return first.error;
  return new RefreshError('REFRESH_FAILED', failed.map((f) => `${f.error.message}.`).join(' '));
}
