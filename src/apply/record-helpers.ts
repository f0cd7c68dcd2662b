import { rerecordsRepository, rerooted } from '../manifest/source-root.js';
import { CLOCK_TOLERANCE_SECONDS } from '../plan/clock.js';
import { RUN_BUDGET_WINDOW_SECONDS } from '../plan/runs.js';
import type { AppliedTarget, Step } from '../plan/schema.js';
import { withoutCreate } from '../state/current-runs.js';
import { runCount } from '../state/describe.js';
import { applyChanges, newRecord, withoutIntent, type RecordChanges } from '../state/record-changes.js';
import type { AppliedRevision, AppliedSpec, AudienceRecord } from '../state/schema.js';
import type { IntentOutcome, StateStore } from '../state/store.js';
import { serviceShift, type ClockClient } from './service-time.js';
import type { Clock, ExecutorDeps, StepResult, StepStatus } from './types.js';
import { stateImportCommand, manifestsDirNote, type PasteFlags } from '../text/paste-flags.js';

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

/**
 * The manifest file a step comes from (`source` is `file:line`), to record with the audience,
 * with the directory it is relative to when the apply knows it (ExecutorDeps.sourceRoot) and it
 * may replace the one `recorded` keeps (rerooted: an absolute path outside git never replaces a
 * path from a git top, on a real call no more than on a record-only step), and the repository
 * when the apply knows it and the record names another or none.
 */
export function manifestFileOf(
  step: Pick<Step, 'source'>,
  deps: Pick<ExecutorDeps, 'sourceRoot' | 'repository'>,
  recorded: Pick<AudienceRecord, 'sourceRoot' | 'repository'> | undefined,
): { manifestFile?: string; sourceRoot?: string; repository?: string } {
  const file = step.source?.replace(/:\d+$/, '');
  if (!file) return {};
  const { sourceRoot, repository } = deps;
  return {
    manifestFile: file,
    ...(sourceRoot !== undefined && rerooted(recorded?.sourceRoot, sourceRoot) ? { sourceRoot } : {}),
    ...(repository !== undefined && rerecordsRepository(recorded?.repository, repository)
      ? { repository }
      : {}),
  };
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

/**
 * Takes the create of `record` as never made (its operation failed, or is unknown past the
 * grace; its POST was refused), as the record stands in the store: the record goes, as it
 * always did, unless it holds runs that outlive the create (withoutCreate); then it is
 * written back without the create, in the same write that clears a pending intent. Either
 * way the next apply creates the audience again. Returns the record kept, if any.
 */
export async function dropCreate(
  store: StateStore,
  record: AudienceRecord,
): Promise<AudienceRecord | undefined> {
  // An intent is resolved as `record` holds it (a store holding another refuses); otherwise
  // the record as stored now is what the runs are read from.
  const current = record.intent ? record : ((await store.get(record.sandbox, record.key)) ?? record);
  const kept = withoutCreate(current);
  await removeOrReplace(store, current, kept);
  return kept;
}

/**
 * The instant (epoch seconds, in AEP's clock as measured) at or before which a run no longer
 * counts against the daily run budget: timed as the plan's budget times runs, with the plan's
 * clock tolerance to spare, so a run a plan may still count is never dropped.
 */
export function budgetHorizon(deps: { clock: Pick<Clock, 'now'>; client: ClockClient }): number {
  const now = Math.floor(deps.clock.now() / 1000) + serviceShift(deps.client);
  return now - RUN_BUDGET_WINDOW_SECONDS - CLOCK_TOLERANCE_SECONDS;
}

/**
 * Records the audience a create made into its record (`changes`: its id, what the service showed,
 * the spec applied), by whichever path the create ends: its operation answered (awaitOperation),
 * or the audience found by name after a lost answer or an operation the service does not know
 * (adoptOwnCreate). In the same write, which resolves the create's intent when one is pending,
 * the runs of the audiences the record re-created or replaced (formerAudienceId) that no longer
 * count against the daily run budget go (budgetHorizon): a day after a replace, the record is
 * back in format 1, however its create was recorded.
 */
export async function recordCreated(
  record: AudienceRecord,
  changes: RecordChanges,
  deps: Pick<ExecutorDeps, 'store' | 'clock' | 'client'>,
): Promise<void> {
  const { store } = deps;
  const pruned = { ...changes, formerRunsAfter: budgetHorizon(deps) };
  if (record.intent) {
    await store.resolveIntent(record, { kind: 'update', changes: pruned });
    return;
  }
  const current = (await store.get(record.sandbox, record.key)) ?? record;
  await store.put(applyChanges(current, pruned));
}

/**
 * `record` goes, or `kept` (a replace's, keptByReplace; a create's that made nothing,
 * withoutCreate) takes its place: in the write that resolves its intent, when it holds one.
 */
export async function removeOrReplace(
  store: StateStore,
  record: AudienceRecord,
  kept: AudienceRecord | undefined,
): Promise<void> {
  if (record.intent) {
    await store.resolveIntent(record, kept ? { kind: 'replace', record: kept } : { kind: 'remove' });
  } else if (kept) {
    await store.put(kept);
  } else {
    await store.delete(record.sandbox, record.key);
  }
}

/** What a dropped create's message says of the record (see dropCreate). */
export function droppedNote(kept: AudienceRecord | undefined): string {
  if (!kept) return 'the record is dropped';
  const keeps = [
    ...(kept.applied ? ['the name of its deleted audience'] : []),
    ...(kept.runs.length > 0
      ? [`its ${runCount(kept.runs.length)} (of a deleted audience: they count against the daily run budget)`]
      : []),
  ];
  return `the create is dropped from the record, which keeps ${keeps.join(' and ')}`;
}

export function result(
  step: Step,
  status: StepStatus,
  message: string,
  extra: Partial<StepResult> = {},
): StepResult {
  return { step, status, message, ...extra };
}

/**
 * Writes `outcome` for `record`: as its intent's outcome (resolveIntent) while it holds one;
 * for a record whose intent was settled already (a create's first POST refused, 409, before
 * the name lookup: settledRefusal), the same outcome over the record as stored now.
 */
export async function writeOutcome(
  store: StateStore,
  record: AudienceRecord,
  outcome: IntentOutcome,
): Promise<AudienceRecord | undefined> {
  if (record.intent) return store.resolveIntent(record, outcome);
  if (outcome.kind === 'remove') {
    await store.delete(record.sandbox, record.key);
    return undefined;
  }
  if (outcome.kind === 'replace')
    return store.put({ ...outcome.record, sandbox: record.sandbox, key: record.key });
  const current = (await store.get(record.sandbox, record.key)) ?? record;
  return store.put(applyChanges(withoutIntent(current), outcome.changes));
}

/**
 * A create intent whose first and only POST the service refused as a duplicate name (409): that
 * POST made nothing, so the intent is settled as a refused create's is (dropCreate) before the
 * name is looked up. An apply stopped during the lookup then leaves no intent, and the next one
 * sends a first POST again (blocked on its 409 as someone else's), instead of taking the
 * audience listed under the name for one this create made. Returns the record as the lookup's
 * outcome is then written over (writeOutcome): without the intent or the body sent.
 */
export async function settledRefusal(store: StateStore, pending: AudienceRecord): Promise<AudienceRecord> {
  await dropCreate(store, pending);
  const settled = withoutIntent(pending);
  delete settled.pendingCreate;
  return settled;
}

/**
 * The outcome of a call the service answered whose answer the state could not record (a
 * database gone, the lock lost with it): failed, said sent, never "skipped" (not attempted),
 * whether or not the apply was stopped meanwhile. `sent`: what was sent and answered, as
 * "create sent (202, operation …)". What the state held before the write stays (an intent,
 * an operation id), and the next apply resolves the call from it.
 */
export function notRecorded(step: Step, sent: string, error: unknown): StepResult {
  const cause = error instanceof Error ? error.message : String(error);
  return result(step, 'failed', `${sent} but not recorded (${cause}): the next apply resolves it`);
}

/** How to record the audience's id once found; `paste`: the flags the command carries. */
export function importHint(step: Pick<Step, 'key' | 'sandbox'>, paste: PasteFlags | undefined): string {
  return `find its id in AEP, then run: ${stateImportCommand(step.key, step.sandbox, paste)}${manifestsDirNote(paste)}`;
}
