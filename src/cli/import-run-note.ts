import type { DesiredManifest } from '../manifest/load.js';
import { runClock } from '../plan/clock.js';
import { dueRun, requestToken } from '../plan/runs.js';
import type { ImportOrigin } from '../state/repair.js';
import type { AudienceRecord } from '../state/schema.js';

/**
 * What `state import` says of the audience's runs, as the next plan will decide them (dueRun).
 * `own`: the audience answers the record's own pending create, so it holds no data yet and
 * the runs a create owes are owed; otherwise it was made outside audiencectl and counts as
 * already ingested (`imported`).
 */
export function importRunNote(
  record: AudienceRecord,
  origin: ImportOrigin,
  desired: DesiredManifest,
  nowMs: number,
): string | undefined {
  if (origin !== 'own') {
    // Imported again under the id it had: nothing it knew of the audience changed.
    if (!record.imported) return undefined;
    const token = record.imported.ingestionRequest;
    return `counted as already ingested: no first run${token === undefined ? '' : `, and ingestion.request "${token}" counts as done`}; the next run is differential from now`;
  }
  const run = dueRun(desired, record, runClock(Math.floor(nowMs / 1000), undefined));
  const token = record.applied?.ingestionRequest;
  const honoured =
    token === undefined ? '' : `, and ingestion.request "${token}" counts as done, as at a create`;
  if (run?.reason === 'onCreate')
    return `the first run the manifest asks for (ingestion.onCreate) is still owed: the next apply starts it${honoured}`;
  const requested = requestToken(run?.reason);
  if (requested !== undefined)
    return `not counted as already ingested (the spec the create sent is not recorded, nor is ingestion.request "${requested}" honoured): the next apply starts its run`;
  if (run) return 'not counted as already ingested: the next apply starts a run (ingestion.every)';
  return `not counted as already ingested: the manifest asks for no first run (ingestion.onCreate is off)${honoured}`;
}

/**
 * What an import that did not take the audience for its record's own create (`unproven`) says
 * of the first run that create owed: not started, and how to ask for it, from 0, when the person
 * knows the audience is that create's (a new `ingestion.request` token starts a run; the
 * manifest's `dataFilterStartTime` is where it starts, plan/runs.ts dueRun).
 */
export function firstRunNotStarted(origin: ImportOrigin, desired: DesiredManifest): string | undefined {
  if (origin !== 'unproven' || !desired.manifest.ingestion.onCreate) return undefined;
  return "the first run the manifest asks for (ingestion.onCreate) is not started: if this audience is in fact that create's own, ask for it: give ingestion.request a new value in its manifest, with ingestion.dataFilterStartTime: 0 for a run from 0 (then remove that line), and apply";
}
