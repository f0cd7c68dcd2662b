import type { AepClient } from '../aep/types.js';
import { holdsOnlyFormerRuns } from '../state/current-runs.js';
import type { AudienceRecord } from '../state/schema.js';
import type { StateStore } from '../state/store.js';
import { budgetHorizon } from './record-helpers.js';
import { readServiceOffset } from './service-time.js';
import type { Clock } from './types.js';

type Client = Pick<AepClient, 'serviceClock' | 'listAudiences'>;

/**
 * The records kept only for the runs of deleted audiences (holdsOnlyFormerRuns: a removed
 * manifest's, or a create's that made nothing) none of whose runs counts against the daily run
 * budget any more: the plan never removes them (removals.ts), as they name no audience, and an
 * apply drops them once it goes ahead (dropRemnants). Spent in AEP's clock: where the local clock
 * says so and no answer showed AEP's lately, AEP's clock is read first (readServiceOffset: one
 * attempt); a read that fails finds none spent, and the next apply looks again. Writes nothing.
 */
export async function spentRemnants(
  records: readonly AudienceRecord[],
  client: Client,
  clock: Pick<Clock, 'now'>,
  signal: AbortSignal | undefined,
): Promise<AudienceRecord[]> {
  const spent = () => {
    const horizon = budgetHorizon({ clock, client });
    return records.filter(
      (record) => holdsOnlyFormerRuns(record) && record.runs.every((run) => run.createdAt <= horizon),
    );
  };
  const first = spent()[0];
  if (first === undefined) return [];
  if (
    client.serviceClock !== undefined &&
    (await readServiceOffset(client, first.sandbox, signal)) === undefined
  )
    return [];
  return spent();
}

/** What a spent runs-only record is, for the line that says it is dropped (or is to be). */
export function spentRemnantNote(record: AudienceRecord): string {
  return `${record.sandbox}/${record.key}: the record kept only for the runs of deleted or forgotten audiences, none of which counts against the daily run budget any more`;
}

/**
 * Drops the spent runs-only records (spentRemnants), once the apply goes ahead: as the steps,
 * never before its confirmation. Returns a note per record dropped (spentRemnantNote).
 */
export async function dropRemnants(records: readonly AudienceRecord[], store: StateStore): Promise<string[]> {
  const notes: string[] = [];
  for (const record of records) {
    await store.delete(record.sandbox, record.key);
    notes.push(spentRemnantNote(record));
  }
  return notes;
}
