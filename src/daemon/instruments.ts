import type { ProgressSink, StepResult } from '../apply/types.js';
import type { AepClientExtras } from '../config.js';
import type { Logger } from '../log.js';
import type { Plan, Step } from '../plan/schema.js';
import { countedRuns } from '../state/counted-runs.js';
import { RUN_BUDGET_WINDOW_SECONDS } from '../state/current-runs.js';
import type { AudienceRecord } from '../state/schema.js';
import { STOPPING_MESSAGE } from './call-shield.js';
import type { DaemonMetrics } from './metrics.js';

/** A step whose call was refused on shutdown: it did not really run. */
export function stoppedBeforeSending(result: StepResult): boolean {
  return result.status === 'failed' && result.message.includes(STOPPING_MESSAGE);
}

/** The `result` label of a finished step. */
export function stepResultLabel(result: StepResult): string {
  if (result.status === 'applied') return 'ok';
  if (stoppedBeforeSending(result)) return 'skipped';
  if (result.status === 'deferred') return result.step.deferred === undefined ? 'requeued' : 'deferred';
  return result.status;
}

/** The AEP client's hooks, feeding the API request and rate-limit metrics. */
export function clientHooks(metrics: DaemonMetrics): Pick<AepClientExtras, 'onRequest' | 'onRateLimitWait'> {
  return {
    onRequest: (event) => {
      const status = event.status === undefined ? 'error' : String(event.status);
      metrics.apiRequests.inc({ endpoint: event.endpoint, status });
      if (event.status === 429) metrics.rateLimitWaits.inc({ reason: 'retry-after' });
    },
    onRateLimitWait: () => metrics.rateLimitWaits.inc({ reason: 'budget' }),
  };
}

/**
 * A ProgressSink for the daemon: one log line per finished step with sandbox and key
 * bound, the steps counter, and the queue depth (steps of the pass not finished yet).
 */
export function daemonProgress(
  plan: Plan,
  log: Logger,
  metrics: DaemonMetrics,
  finished: (result: StepResult) => void = () => undefined,
): ProgressSink {
  const waiting = new Set(plan.steps.filter((s) => !s.blocked && !s.deferred).map((s) => s.id));
  metrics.queueDepth.set(waiting.size);
  const stepLog = (step: Step) => log.child({ sandbox: step.sandbox, key: step.key, step: step.kind });
  return {
    stepStarted: (step) => stepLog(step).debug({ reason: step.reason }, 'step started'),
    stepFinished: (result) => {
      finished(result);
      if (waiting.delete(result.step.id)) metrics.queueDepth.set(waiting.size);
      metrics.steps.inc({ kind: result.step.kind, result: stepResultLabel(result) });
      const details = {
        status: result.status,
        message: result.message,
        ...(result.audienceId ? { audienceId: result.audienceId } : {}),
        ...(result.runId ? { runId: result.runId } : {}),
      };
      const line = stepLog(result.step);
      if (stoppedBeforeSending(result)) line.info(details, 'step not started: stopping');
      else if (result.status === 'failed') line.warn(details, 'step failed');
      else if (result.status === 'blocked') line.warn(details, 'step blocked');
      else line.info(details, 'step finished');
    },
    note: (message) => log.info({ note: message }, 'apply note'),
    close: () => metrics.queueDepth.set(0),
  };
}

/**
 * Runs the daily budget still allows per sandbox: the limit minus runs started in the last 24 h,
 * each run id once (as the plan counts them, state/counted-runs.ts).
 */
export function runBudgetLeft(
  records: readonly AudienceRecord[],
  sandboxes: Iterable<string>,
  perSandboxPerDay: number,
  nowSeconds: number,
): Map<string, number> {
  const { bySandbox } = countedRuns(records, nowSeconds - RUN_BUDGET_WINDOW_SECONDS);
  const left = new Map<string, number>();
  for (const sandbox of new Set([...sandboxes, ...bySandbox.keys()]))
    left.set(sandbox, Math.max(0, perSandboxPerDay - (bySandbox.get(sandbox) ?? 0)));
  return left;
}
