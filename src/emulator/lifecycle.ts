import type { AudienceRecord, OperationRecord, RunRecord, RunStage } from './model.js';

/** Statuses derived from recorded times: cheap to compute, and they survive a restart. */

export type OperationStatus = 'PROCESSING' | 'SUCCESS' | 'FAILED';
export type RunStatus = 'PROCESSING' | 'SUCCESS' | 'FAILED';
export type StageDetail = { stage: RunStage; status: RunStatus; flowRunId: string };

export function operationStatus(operation: OperationRecord, nowMs: number): OperationStatus {
  return nowMs < operation.completesAtMs ? 'PROCESSING' : operation.outcome;
}

export function isAudienceReady(audience: AudienceRecord, nowMs: number): boolean {
  return nowMs >= audience.readyAtMs;
}

export function runCompletesAtMs(run: RunRecord): number {
  const stages = run.failedStage === 'DATASET_INGEST' ? 1 : 2;
  return run.createdAtMs + stages * run.stageMs;
}

export function runStatus(run: RunRecord, nowMs: number): RunStatus {
  return nowMs < runCompletesAtMs(run) ? 'PROCESSING' : run.outcome;
}

/** The words a run in progress is answered with (compat `runProgressStatus`). */
export type ProgressWords = 'processing' | 'queued';
export type AnsweredRunStatus = RunStatus | 'QUEUED' | 'IN_PROGRESS';

/** runStatus as the service answers it: a run in progress in `words`. */
export function answeredRunStatus(run: RunRecord, nowMs: number, words: ProgressWords): AnsweredRunStatus {
  const status = runStatus(run, nowMs);
  if (status !== 'PROCESSING' || words === 'processing') return status;
  return nowMs < run.createdAtMs + run.stageMs ? 'QUEUED' : 'IN_PROGRESS';
}

/** A stage's status as the service answers it: one not finished in `words`. */
export function answeredStageStatus(status: RunStatus, words: ProgressWords): AnsweredRunStatus {
  return status === 'PROCESSING' && words === 'queued' ? 'IN_PROGRESS' : status;
}

function stageStatus(run: RunRecord, stage: RunStage, endsAtMs: number, nowMs: number): RunStatus {
  if (nowMs < endsAtMs) return 'PROCESSING';
  return run.failedStage === stage ? 'FAILED' : 'SUCCESS';
}

/**
 * Both stages are listed from the start, as every sample of the page shows them; a stage not
 * finished yet is PROCESSING. A run that failed at DATASET_INGEST never reached the profile
 * stage, so only that stage is listed.
 */
export function runDetails(run: RunRecord, nowMs: number): StageDetail[] {
  const datasetEnds = run.createdAtMs + run.stageMs;
  const dataset = stageStatus(run, 'DATASET_INGEST', datasetEnds, nowMs);
  const details: StageDetail[] = [{ stage: 'DATASET_INGEST', status: dataset, flowRunId: run.flowRunIds[0] }];
  if (dataset !== 'FAILED') {
    const profile = stageStatus(run, 'PROFILE_STORE_INGEST', datasetEnds + run.stageMs, nowMs);
    details.push({ stage: 'PROFILE_STORE_INGEST', status: profile, flowRunId: run.flowRunIds[1] });
  }
  return details;
}

export function epochSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}
