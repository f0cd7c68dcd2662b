import type { DesiredManifest } from '../manifest/load.js';
import type { AudienceRecord, RunRecord } from '../state/schema.js';
import { recordId } from '../state/record-id.js';
import { epochSecondsOf } from '../state/instant.js';
import { currentRuns, RUN_BUDGET_WINDOW_SECONDS } from '../state/current-runs.js';
import { AUDIENCE_RUNS_PER_DAY, budgetKey, countedRuns } from '../state/counted-runs.js';
import { FINAL_RUN_STATUSES, lastRunFailure } from '../state/describe.js';
import type { FailedRun, RunRequest, Step } from './schema.js';
import { behindNote, CLOCK_TOLERANCE_SECONDS, type RunClock } from './clock.js';

const DAY_SECONDS = 86_400;
const UNIT_SECONDS = { m: 60, h: 3_600, d: DAY_SECONDS } as const;
export { RUN_BUDGET_WINDOW_SECONDS } from '../state/current-runs.js';

/** Service guardrails (ARCHITECTURE.md): runs a day per sandbox, and per audience. */
export type RunBudget = { perSandboxPerDay: number; perAudiencePerDay: number };
export const DEFAULT_RUN_BUDGET: RunBudget = {
  perSandboxPerDay: 100,
  perAudiencePerDay: AUDIENCE_RUNS_PER_DAY,
};

export function durationSeconds(duration: string): number {
  const unit = duration.slice(-1) as keyof typeof UNIT_SECONDS;
  return Number(duration.slice(0, -1)) * UNIT_SECONDS[unit];
}

export function isRunFinal(run: RunRecord): boolean {
  return (FINAL_RUN_STATUSES as readonly string[]).includes(run.status);
}

function latestRun(runs: readonly RunRecord[]): RunRecord | undefined {
  let latest: RunRecord | undefined;
  for (const run of runs) if (!latest || run.createdAt > latest.createdAt) latest = run;
  return latest;
}

/** When `state import` recorded the audience (epoch seconds), if it did. */
function importedAt(record: AudienceRecord | undefined): number | undefined {
  return record?.imported ? epochSecondsOf(record.imported.at) : undefined;
}

/** The end of the audience's last successful run (epoch seconds); 0 when none. */
export function lastSuccessEnd(record: AudienceRecord | undefined): number {
  // An imported audience holds data already: never re-ingest it from time 0.
  let end = importedAt(record) ?? 0;
  for (const run of record ? currentRuns(record) : []) {
    if (run.status === 'SUCCESS') end = Math.max(end, run.dataFilterEndTime ?? run.createdAt);
  }
  return end;
}

/** Where the next differential run starts: the manifest's choice, else the end of the last success. */
export function nextDataFilterStart(manifest: DesiredManifest, record: AudienceRecord | undefined): number {
  return manifest.manifest.ingestion.dataFilterStartTime ?? lastSuccessEnd(record);
}

/** The run a created (or re-created) audience gets first, if its manifest asks for one. */
export function onCreateRun(manifest: DesiredManifest): RunRequest | undefined {
  if (!manifest.manifest.ingestion.onCreate) return undefined;
  return { reason: 'onCreate', dataFilterStartTime: manifest.manifest.ingestion.dataFilterStartTime ?? 0 };
}

const REQUEST = 'request:';

/** The reason of a run asked for by the manifest's `ingestion.request` token. */
export function requestReason(token: string): string {
  return `${REQUEST}${token}`;
}

/** The token of a `request:<token>` run reason; undefined for any other reason. */
export function requestToken(reason: string | undefined): string | undefined {
  return reason?.startsWith(REQUEST) ? reason.slice(REQUEST.length) : undefined;
}

/** The `ingestion.request` token the record says is honoured. */
export function honouredRequest(record: AudienceRecord): string | undefined {
  // Until its first apply, an imported audience's honoured token is the one seen at import.
  return record.applied ? record.applied.ingestionRequest : record.imported?.ingestionRequest;
}

/**
 * The run an existing audience needs now: a new request token, or the period elapsed. The
 * period is timed in `clock` (AEP's, when measured off the local one), as runs' createdAt are.
 */
export function dueRun(
  manifest: DesiredManifest,
  record: AudienceRecord,
  clock: RunClock,
): RunRequest | undefined {
  const { ingestion } = manifest.manifest;
  const runs = currentRuns(record);
  const latest = latestRun(runs);
  const inProgress = latest && !isRunFinal(latest) ? latest : undefined;
  const start = nextDataFilterStart(manifest, record);
  if (ingestion.request !== undefined && ingestion.request !== honouredRequest(record)) {
    const fromLastSuccess = ingestion.dataFilterStartTime === undefined;
    return {
      reason: requestReason(ingestion.request),
      dataFilterStartTime: start,
      ...(inProgress ? { waitsForRunId: inProgress.runId } : {}),
      ...(inProgress && fromLastSuccess ? { fromLastSuccess: true as const } : {}),
    };
  }
  // A first run that never happened (an apply stopped between create and run) is still owed;
  // not while a create or run request may have started it. A PATCH's intent holds nothing back:
  // apply clears it, reading nothing, before it plans (apply/resume.ts), so `plan` shows the run too.
  const intent = record.intent?.kind;
  const unsettled = intent !== undefined && intent !== 'patch';
  if (ingestion.onCreate && runs.length === 0 && !unsettled && !record.imported) {
    return { reason: 'onCreate', dataFilterStartTime: start };
  }
  if (ingestion.every === undefined || inProgress) return undefined;
  const appliedAt = record.applied ? epochSecondsOf(record.applied.at) : (importedAt(record) ?? 0);
  // Recorded from the local clock: read in the clock of the decision.
  const since = latest?.createdAt ?? appliedAt + clock.localShift;
  if (clock.now - since < durationSeconds(ingestion.every)) return undefined;
  return { reason: 'every', dataFilterStartTime: start };
}

/**
 * Why a periodic run that is not due is shown deferred rather than left out: AEP's clock was
 * not measured and the audience's newest run lies in the local clock's future, so the clock
 * is behind and `dueRun` would wait for as long again. Undefined when no such thing is seen.
 */
export function clockHeldRun(
  manifest: DesiredManifest,
  record: AudienceRecord,
  clock: RunClock,
): string | undefined {
  if (clock.measured || manifest.manifest.ingestion.every === undefined) return undefined;
  const latest = latestRun(currentRuns(record));
  if (!latest || !isRunFinal(latest)) return undefined;
  const ahead = latest.createdAt - clock.now;
  return ahead > CLOCK_TOLERANCE_SECONDS ? behindNote(ahead) : undefined;
}

/**
 * Marks the run steps that do not fit the daily guardrails as deferred, in plan order,
 * so a reconciler never burns a sandbox's budget in one pass. Runs are counted as the service
 * counts them (state/counted-runs.ts): per sandbox, and per audience id wherever the state keeps
 * its runs (a former key's runs-only record, another audience's record after a replace or
 * `state import --force`), each run id once.
 */
export function applyRunBudget(
  steps: Step[],
  records: ReadonlyMap<string, AudienceRecord>,
  budget: RunBudget,
  now: number,
): void {
  // No run to start (most plans): nothing to count the records' runs for.
  if (!steps.some((step) => step.kind === 'run' && !step.blocked && !step.deferred)) return;
  const counted = countedRuns(records.values(), now - RUN_BUDGET_WINDOW_SECONDS);
  const usedBySandbox = new Map(counted.bySandbox);
  const usedByAudience = new Map(counted.byAudience);
  // Keys whose audience this plan creates (a create, or a replace's): their run is the new
  // audience's, not that of the audience the record names now (a replace deletes it).
  const created = new Set(
    steps
      .filter((step) => step.kind === 'create' || step.kind === 'replace')
      .map((step) => recordId(step.sandbox, step.key)),
  );
  for (const step of steps) {
    if (step.kind !== 'run' || step.blocked || step.deferred) continue;
    // The audience it runs on; none after a create or a replace, whose run is the record's (a new
    // id, whose record's runs of a deleted audience, formerAudienceId, count for the sandbox only).
    const id = recordId(step.sandbox, step.key);
    const audienceId = step.audienceId ?? (created.has(id) ? undefined : records.get(id)?.audienceId);
    const audience = budgetKey(step.sandbox, step.key, audienceId);
    const sandboxUsed = usedBySandbox.get(step.sandbox) ?? 0;
    const audienceUsed = usedByAudience.get(audience) ?? 0;
    if (sandboxUsed >= budget.perSandboxPerDay) {
      step.deferred = `sandbox "${step.sandbox}" has used its ${budget.perSandboxPerDay} runs of the last 24 h`;
    } else if (audienceUsed >= budget.perAudiencePerDay) {
      step.deferred = `audience has used its ${budget.perAudiencePerDay} runs of the last 24 h`;
    } else {
      usedBySandbox.set(step.sandbox, sandboxUsed + 1);
      usedByAudience.set(audience, audienceUsed + 1);
    }
  }
}

function anyRunFailed(records: ReadonlyMap<string, AudienceRecord>): boolean {
  for (const record of records.values()) if (lastRunFailure(record)) return true;
  return false;
}

/**
 * Desired audiences whose last run failed and that this plan starts no run for: the
 * service does not retry a failed run, so the plan says why and what to do next.
 */
export function failedRuns(
  desired: readonly DesiredManifest[],
  records: ReadonlyMap<string, AudienceRecord>,
  steps: readonly Step[],
): FailedRun[] {
  // A failed last run is rare: without one, no id per manifest is built to look for it.
  if (!anyRunFailed(records)) return [];
  const running = new Set(steps.filter((s) => s.kind === 'run').map((s) => recordId(s.sandbox, s.key)));
  const failed: FailedRun[] = [];
  for (const manifest of desired) {
    const id = recordId(manifest.sandbox, manifest.key);
    const record = records.get(id);
    const failure = record && !running.has(id) ? lastRunFailure(record) : undefined;
    if (failure) failed.push({ sandbox: manifest.sandbox, key: manifest.key, ...failure });
  }
  return failed;
}
