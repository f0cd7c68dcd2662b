import {
  answeredRunStatus,
  answeredStageStatus,
  epochSeconds,
  operationStatus,
  runDetails,
  runStatus,
  type AnsweredRunStatus,
  type OperationStatus,
  type ProgressWords,
  type StageDetail,
} from './lifecycle.js';
import type { AudienceRecord, FieldRecord, OperationRecord, RunRecord, SourceRecord } from './model.js';

/** The shapes the reference page shows, built from records; key order follows its samples. */

/** An audience as the PATCH response shows it (and as the admin endpoint lists it). */
export type EmulatorAudience = {
  audienceId: string;
  audienceName: string;
  description?: string;
  fields: FieldRecord[];
  sourceSpec: SourceRecord;
  ttlInDays: number;
  labels?: string[];
  audienceType?: string;
  originName: string;
  customAudienceId?: string;
  namespace?: string;
  tags?: string[];
  createdBy: string;
  createdAt: number;
  updatedBy: string;
  updatedAt: number;
};

export type EmulatorOperation = {
  operationId: string;
  status: OperationStatus;
  operationDetails: Record<string, unknown>;
  audienceName: string;
  audienceId?: string;
  failureReason?: string;
  createdBy: string;
  createdAt: number;
  updatedBy: string;
  updatedAt: number;
};

export type EmulatorRunSummary = {
  audienceName: string;
  audienceId: string;
  runId: string;
  status: AnsweredRunStatus;
  differentialIngestion: boolean;
  dataFilterStartTime: number;
  dataFilterEndTime: number;
  createdAt: number;
  createdBy: string;
  failureReason?: string;
};

export type EmulatorRun = EmulatorRunSummary & {
  details: (Omit<StageDetail, 'status'> & { status: AnsweredRunStatus })[];
};

export type EmulatorRunStart = Omit<EmulatorRunSummary, 'status' | 'failureReason'>;

/** `T` with every property that may be undefined made optional instead. */
export type Compact<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/**
 * A copy without the undefined values, so optional properties are absent as in the page's
 * samples. It copies rather than `delete`s: deleting turns objects into slow dictionaries,
 * which costs on every later serialisation.
 */
export function compact<T extends object>(value: T): Compact<T> {
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) copy[key] = item;
  }
  return copy as Compact<T>;
}

function copyField(field: FieldRecord): FieldRecord {
  return compact({
    name: field.name,
    type: field.type,
    identityNs: field.identityNs,
    labels: field.labels && [...field.labels],
  });
}

export function audienceView(audience: AudienceRecord): EmulatorAudience {
  return compact({
    audienceId: audience.audienceId,
    audienceName: audience.name,
    description: audience.description,
    fields: audience.fields.map(copyField),
    sourceSpec: compact({ ...audience.sourceSpec }),
    ttlInDays: audience.ttlInDays,
    labels: audience.labels && [...audience.labels],
    audienceType: audience.audienceType,
    originName: audience.originName,
    customAudienceId: audience.customAudienceId,
    namespace: audience.namespace,
    tags: audience.tags && [...audience.tags],
    createdBy: audience.createdBy,
    createdAt: audience.createdAt,
    updatedBy: audience.updatedBy,
    updatedAt: audience.updatedAt,
  });
}

/** The create response (202): the operation id and the request as the service understood it. */
export function createdView(operation: OperationRecord): {
  operationId: string;
  operationDetails: Record<string, unknown>;
} {
  return { operationId: operation.operationId, operationDetails: operation.details };
}

/**
 * The operation lookup. Once the audience exists, name and last update come from it: the
 * page's sample shows the operation's `updatedAt` equal to the later PATCH's.
 */
export function operationView(
  operation: OperationRecord,
  audience: AudienceRecord | undefined,
  nowMs: number,
): EmulatorOperation {
  const status = operationStatus(operation, nowMs);
  const doneAt = epochSeconds(status === 'PROCESSING' ? operation.createdAtMs : operation.completesAtMs);
  return compact({
    operationId: operation.operationId,
    status,
    operationDetails: operation.details,
    audienceName: audience?.name ?? operation.audienceName,
    audienceId: status === 'SUCCESS' ? operation.audienceId : undefined,
    failureReason: status === 'FAILED' ? operation.failureReason : undefined,
    createdBy: operation.createdBy,
    createdAt: epochSeconds(operation.createdAtMs),
    updatedBy: audience?.updatedBy ?? operation.createdBy,
    updatedAt: Math.max(doneAt, audience?.updatedAt ?? 0),
  });
}

/**
 * How run times are answered: their unit (the `runTimeUnit` reading of the page), and what a
 * run's createdAt is (`runCreatedAt`). The admin view answers the truth: seconds, the run's own.
 */
export type RunReading = {
  runTimeUnit: 'seconds' | 'milliseconds';
  runCreatedAt: 'run' | 'audience';
  runProgressStatus: ProgressWords;
};
const TRUE_TIMES: RunReading = {
  runTimeUnit: 'seconds',
  runCreatedAt: 'run',
  runProgressStatus: 'processing',
};

/** The instant (epoch ms) a run's createdAt answers: its own, or its audience's creation. */
export function answeredCreatedAtMs(run: RunRecord, reading: Pick<RunReading, 'runCreatedAt'>): number {
  return reading.runCreatedAt === 'audience' && run.audienceCreatedAt !== undefined
    ? run.audienceCreatedAt * 1000
    : run.createdAtMs;
}

function runCreatedAt(run: RunRecord, reading: RunReading): number {
  const ms = answeredCreatedAtMs(run, reading);
  return reading.runTimeUnit === 'milliseconds' ? Math.floor(ms) : epochSeconds(ms);
}

export function runStartView(run: RunRecord, reading: RunReading = TRUE_TIMES): EmulatorRunStart {
  return {
    audienceName: run.audienceName,
    audienceId: run.audienceId,
    runId: run.runId,
    differentialIngestion: run.differentialIngestion,
    dataFilterStartTime: run.dataFilterStartTime,
    dataFilterEndTime: run.dataFilterEndTime,
    createdAt: runCreatedAt(run, reading),
    createdBy: run.createdBy,
  };
}

export function runSummaryView(
  run: RunRecord,
  nowMs: number,
  reading: RunReading = TRUE_TIMES,
): EmulatorRunSummary {
  const status = runStatus(run, nowMs);
  return compact({
    audienceName: run.audienceName,
    audienceId: run.audienceId,
    runId: run.runId,
    status: answeredRunStatus(run, nowMs, reading.runProgressStatus),
    differentialIngestion: run.differentialIngestion,
    dataFilterStartTime: run.dataFilterStartTime,
    dataFilterEndTime: run.dataFilterEndTime,
    createdAt: runCreatedAt(run, reading),
    createdBy: run.createdBy,
    failureReason: status === 'FAILED' ? run.failureReason : undefined,
  });
}

export function runView(run: RunRecord, nowMs: number, reading: RunReading = TRUE_TIMES): EmulatorRun {
  const details = runDetails(run, nowMs).map((detail) => ({
    ...detail,
    status: answeredStageStatus(detail.status, reading.runProgressStatus),
  }));
  return { ...runSummaryView(run, nowMs, reading), details };
}
