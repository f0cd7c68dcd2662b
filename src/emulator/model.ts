import { z } from 'zod';

/**
 * What the emulator stores. Statuses are not stored: they follow from the clock and the
 * times recorded here (see lifecycle.ts), so no timer has to fire and a restarted emulator
 * carries on where it stopped. These schemas also check the data directory when it is loaded.
 */

export const FieldRecord = z.object({
  name: z.string(),
  type: z.string(),
  identityNs: z.string().optional(),
  labels: z.array(z.string()).optional(),
});
export type FieldRecord = z.infer<typeof FieldRecord>;

export const SourceRecord = z.object({
  path: z.string(),
  type: z.string(),
  sourceType: z.string().optional(),
  cloudType: z.string().optional(),
  baseConnectionId: z.string().optional(),
});
export type SourceRecord = z.infer<typeof SourceRecord>;

export const AudienceRecord = z.object({
  audienceId: z.string(),
  operationId: z.string(),
  orgId: z.string(),
  sandbox: z.string(),
  name: z.string(),
  description: z.string().optional(),
  customAudienceId: z.string().optional(),
  fields: z.array(FieldRecord),
  sourceSpec: SourceRecord,
  ttlInDays: z.number(),
  labels: z.array(z.string()).optional(),
  audienceType: z.string().optional(),
  originName: z.string(),
  namespace: z.string().optional(),
  tags: z.array(z.string()).optional(),
  createdBy: z.string(),
  createdAt: z.number(),
  updatedBy: z.string(),
  updatedAt: z.number(),
  /** The audience exists (for lookups, PATCH, runs) from this instant, when its operation succeeds. */
  readyAtMs: z.number(),
  /** Run ids, oldest first. */
  runIds: z.array(z.string()),
  /** Grows with every change; the Audiences API's `_etag`. */
  version: z.number().int().optional(),
  /** Set in the UI (the Audiences API's `lifecycleState`); absent is active. */
  lifecycleState: z.enum(['active', 'inactive']).optional(),
});
export type AudienceRecord = z.infer<typeof AudienceRecord>;

export const OperationOutcome = z.enum(['SUCCESS', 'FAILED']);
export type OperationOutcome = z.infer<typeof OperationOutcome>;

export const OperationRecord = z.object({
  operationId: z.string(),
  orgId: z.string(),
  sandbox: z.string(),
  /** The create request as echoed in `operationDetails` (normalised, in the shape sent). */
  details: z.record(z.string(), z.unknown()),
  audienceId: z.string(),
  audienceName: z.string(),
  outcome: OperationOutcome,
  failureReason: z.string().optional(),
  createdBy: z.string(),
  createdAtMs: z.number(),
  completesAtMs: z.number(),
});
export type OperationRecord = z.infer<typeof OperationRecord>;

export const RunStage = z.enum(['DATASET_INGEST', 'PROFILE_STORE_INGEST']);
export type RunStage = z.infer<typeof RunStage>;

export const RunRecord = z.object({
  runId: z.string(),
  orgId: z.string(),
  sandbox: z.string(),
  audienceId: z.string(),
  audienceName: z.string(),
  differentialIngestion: z.boolean(),
  dataFilterStartTime: z.number(),
  dataFilterEndTime: z.number(),
  createdBy: z.string(),
  createdAtMs: z.number(),
  /** Its audience's `createdAt` (epoch seconds): a run's createdAt with `runCreatedAt: audience`. */
  audienceCreatedAt: z.number().optional(),
  /** Duration of each stage, fixed when the run starts. */
  stageMs: z.number(),
  outcome: OperationOutcome,
  failedStage: RunStage.optional(),
  failureReason: z.string().optional(),
  flowRunIds: z.tuple([z.string(), z.string()]),
});
export type RunRecord = z.infer<typeof RunRecord>;

/** A name's hold (store.ts NameHold) as the data directory keeps it; `key` is nameKey(name). */
export const NameHoldRecord = z.object({
  orgId: z.string(),
  sandbox: z.string(),
  key: z.string(),
  operationId: z.string(),
  audienceId: z.string(),
});
export type NameHoldRecord = z.infer<typeof NameHoldRecord>;

export type Scope = { orgId: string; sandbox: string };
