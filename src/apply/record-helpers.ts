import type { AppliedTarget, Step } from '../plan/schema.js';
import { newRecord } from '../state/record-changes.js';
import type { AppliedRevision, AppliedSpec, AudienceRecord } from '../state/schema.js';
import type { StateStore } from '../state/store.js';
import type { StepResult, StepStatus } from './types.js';

/** What the state records of a spec applied at `at` from the manifests at `revision` (when in git). */
export function appliedFrom(
  target: AppliedTarget,
  at: string,
  revision: AppliedRevision | undefined,
): AppliedSpec {
  return {
    spec: target.spec,
    hash: target.hash,
    ...(target.ingestionRequest === undefined ? {} : { ingestionRequest: target.ingestionRequest }),
    at,
    ...(revision === undefined ? {} : { revision }),
  };
}

/** The manifest file a step comes from (`source` is `file:line`), to record with the audience. */
export function manifestFileOf(step: Pick<Step, 'source'>): { manifestFile?: string } {
  const file = step.source?.replace(/:\d+$/, '');
  return file ? { manifestFile: file } : {};
}

export async function currentRecord(store: StateStore, step: Step): Promise<AudienceRecord> {
  return (
    (await store.get(step.sandbox, step.key)) ??
    newRecord(step.sandbox, step.key, step.target?.deletionPolicy ?? 'Delete')
  );
}

/** Clears an intent whose call changed nothing worth recording. */
export async function clearIntent(store: StateStore, record: AudienceRecord): Promise<void> {
  if (record.intent) await store.resolveIntent(record, { kind: 'update', changes: {} });
}

export function result(
  step: Step,
  status: StepStatus,
  message: string,
  extra: Partial<StepResult> = {},
): StepResult {
  return { step, status, message, ...extra };
}

export function importHint(step: Pick<Step, 'key' | 'sandbox'>): string {
  return `find its id in AEP, then run: audiencectl state import ${step.key} <manifests dir> --sandbox ${step.sandbox} --audience-id <id>`;
}
