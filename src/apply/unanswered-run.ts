import type { AepClient, RunsListed } from '../aep/types.js';
import { epochSecondsOf } from '../state/instant.js';
import { applyChanges } from '../state/record-changes.js';
import { normaliseRecord } from '../state/normalise-record.js';
import type { AudienceRecord, RunRecord } from '../state/schema.js';
import type { StateStore } from '../state/store.js';
import { matchRun } from './adopt-run.js';
import { adoptionChanges } from './run-intent.js';
import { measuredOffset } from './service-time.js';
import type { Clock } from './types.js';

/**
 * What becomes of a run request settled as having started no run (so far): said wherever it
 * is settled, so that nobody starts a run by hand or settles it with --no-run meanwhile.
 */
export const LATE_RUN_ADOPTED =
  'a run it still starts is adopted as its own by the next run step that lists it';

/** The run adopted for an unanswered request, and the record as written. */
export type AdoptedUnanswered = { run: RunRecord; record: AudienceRecord; note: string };

/**
 * The run a request whose answer never came started after it was settled as having started
 * none (AudienceRecord.unansweredRun: a gateway's 504 while the service went on, a killed
 * apply's request that landed as the next one read the runs list). Where `listed`, the runs
 * read before a run step's request, shows it as matchRun tells a request's run (new since the
 * runs listed before it, echoing the dataFilterStartTime it sent), it is recorded as that
 * request's, as its intent would have adopted it, never taken for a stranger's run (which
 * blocks the step, untraced-runs.ts) nor followed by a second run. Undefined when the record
 * keeps no such request, the list shows no run of it (or cannot tell), or the record changed
 * meanwhile (the step then goes on as before).
 */
export async function adoptUnansweredRun(
  store: StateStore,
  client: Pick<AepClient, 'serviceClock'>,
  record: AudienceRecord,
  listed: RunsListed,
  clock: Clock,
): Promise<AdoptedUnanswered | undefined> {
  const request = record.unansweredRun;
  // Only on the audience its request went to: a record that names another since (`state import
  // --force` of another id) holds none of its runs.
  if (request === undefined || request.audienceId !== record.audienceId) return undefined;
  // The request's time in AEP's clock, as the intent's settling reads it (run-intent.ts).
  const inService = epochSecondsOf(request.startedAt) + (measuredOffset(client) ?? 0);
  const known = new Set(record.runs.map((run) => run.runId));
  const match = matchRun(listed, request, inService, known);
  if (match.kind !== 'adopt') return undefined;
  const changes = adoptionChanges({ ...record, intent: request }, match.run, client, clock);
  const next = normaliseRecord(applyChanges(record, { ...changes, unansweredRun: null }));
  if (!(await store.replaceIfUnchanged(record, next))) return undefined;
  const note = `${record.sandbox}/${record.key}: adopted run ${changes.run.runId}, started by the run request of ${request.startedAt} whose answer never came (the runs list showed no run from it when it was settled)`;
  return { run: changes.run, record: next, note };
}
