import type { AepClient } from '../aep/types.js';
import type { AudienceRecord } from '../state/schema.js';
import type { StateStore } from '../state/store.js';
import { adoptableRun, runRecord } from './adopt-run.js';
import { aepFailure, isNotFound } from './aep-failure.js';
import type { Clock } from './types.js';

/**
 * Settles the intents a killed apply left behind, before anything is planned, so the
 * plan starts from what the service really did. A pending create is left to the
 * create step (it needs the manifest's body; repeating it is made safe by the
 * service's duplicate-name check).
 */
export async function resumeIntents(
  store: StateStore,
  client: AepClient,
  clock: Clock,
  signal?: AbortSignal,
): Promise<string[]> {
  const notes: string[] = [];
  const call = signal ? { signal } : {};
  for (const record of (await store.readAll()).audiences) {
    const intent = record.intent;
    if (!intent || intent.kind === 'create') continue;
    const id = `${record.sandbox}/${record.key}`;
    if (intent.kind === 'patch') {
      // PATCH is idempotent: the plan repeats it if the recorded spec still differs.
      await store.resolveIntent(record, { kind: 'update', changes: {} });
      notes.push(`${id}: interrupted PATCH will be planned again if still needed`);
    } else if (intent.kind === 'delete') {
      notes.push(await resumeDelete(store, client, record, call));
    } else {
      notes.push(await resumeRun(store, client, record, clock, call));
    }
  }
  return notes;
}

async function resumeDelete(
  store: StateStore,
  client: AepClient,
  record: AudienceRecord,
  call: { signal?: AbortSignal },
): Promise<string> {
  const id = `${record.sandbox}/${record.key}`;
  if (!record.audienceId) {
    await store.resolveIntent(record, { kind: 'update', changes: {} });
    return `${id}: interrupted delete had no audience id; left for the plan`;
  }
  try {
    await client.deleteAudience(record.sandbox, record.audienceId, call);
  } catch (error) {
    if (!isNotFound(aepFailure(error))) {
      await store.resolveIntent(record, { kind: 'update', changes: {} });
      return `${id}: interrupted delete could not be finished (${aepFailure(error).message}); the plan retries it`;
    }
  }
  await store.resolveIntent(record, { kind: 'remove' });
  return `${id}: finished an interrupted delete of ${record.audienceId}`;
}

/** A run is adopted when the service shows one started since the intent; it is never started twice. */
async function resumeRun(
  store: StateStore,
  client: AepClient,
  record: AudienceRecord,
  clock: Clock,
  call: { signal?: AbortSignal },
): Promise<string> {
  const id = `${record.sandbox}/${record.key}`;
  const since = Math.floor(Date.parse(record.intent!.startedAt) / 1000);
  const runs = record.audienceId ? await client.listRuns(record.sandbox, record.audienceId, call) : [];
  const started = adoptableRun(runs, since, new Set(record.runs.map((r) => r.runId)));
  if (!started) {
    await store.resolveIntent(record, { kind: 'update', changes: {} });
    return `${id}: interrupted run request did not start a run; the plan asks again if still needed`;
  }
  const reason = record.intent!.runReason;
  const applied =
    reason?.startsWith('request:') && record.applied
      ? { ...record.applied, ingestionRequest: reason.slice(8) }
      : undefined;
  await store.resolveIntent(record, {
    kind: 'update',
    changes: {
      run: runRecord(started, { start: 0, now: Math.floor(clock.now() / 1000), reason }),
      ...(applied ? { applied } : {}),
    },
  });
  return `${id}: adopted run ${started.runId} started by an interrupted apply`;
}
