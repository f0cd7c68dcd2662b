import type { AepClient, AudienceReads } from '../aep/types.js';
import { readLeftRuns } from './left-runs.js';
import { leftRuns } from '../plan/runs-in-progress.js';
import type { LoadResult } from '../manifest/load.js';
import { wantsAdoption, type PlanOptions } from '../plan/plan.js';
import { holdsOnlyFormerRuns } from '../state/current-runs.js';
import { recordId } from '../state/record-id.js';
import type { RecordedState } from '../state/schema.js';
import type { RefreshOptions } from './refresh.js';
import { lateDeleteTargets, readLateDeletes } from './late-delete.js';

export type LiveReadOptions = {
  /** `--refresh`: read the recorded audiences back. */
  refresh: boolean;
  /** Told of each sandbox the refresh could not read; absent, the first fails it (RefreshOptions). */
  sandboxFailed?: RefreshOptions['sandboxFailed'];
  /** Ids per bulk-get. */
  batchSize?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Epoch ms. */
  now: number;
  /** Read again the runs earlier applies or passes left in progress (left-runs.ts). Default false. */
  followRuns?: boolean | undefined;
};

/**
 * Manifests without a record that adopt (`metadata.adopt`, or all with `--adopt`). A runs-only
 * record (holdsOnlyFormerRuns: its manifest removed, its audience forgotten) is none: the adopt
 * step keeps its runs (runsTakenOver).
 */
export function adoptionsWanted(desired: LoadResult, recorded: RecordedState, all: boolean) {
  const asking = desired.manifests.filter((manifest) => wantsAdoption(manifest, { adopt: all }));
  // Most plans have none: then no set of every record's id (10,000 strings) is built.
  if (asking.length === 0) return asking;
  const known = new Set(
    recorded.audiences
      .filter((record) => !holdsOnlyFormerRuns(record))
      .map((record) => recordId(record.sandbox, record.key)),
  );
  return asking.filter((manifest) => !known.has(recordId(manifest.sandbox, manifest.key)));
}

/**
 * What the planner needs from the service, read at the edge and handed to it as data: the
 * recorded audiences as they are (with `refresh`), and the audiences manifests may adopt
 * (only when some manifest without a record asks to). Nothing asked: no request.
 */
export async function readLive(
  desired: LoadResult,
  recorded: RecordedState,
  planOptions: Pick<PlanOptions, 'adopt'>,
  client: Pick<AudienceReads, 'bulkGetAudiences' | 'findAudiencesByName' | 'findAudiencesNameContains'> &
    Pick<AepClient, 'getRun' | 'askedWait'>,
  options: LiveReadOptions,
): Promise<Pick<PlanOptions, 'refresh' | 'lateDeletes' | 'adoptView' | 'runsRead'>> {
  // The readers, and the service's answers' schemas (zod) with them, are loaded only to read:
  // a plan that needs nothing from the service (needsLive) never loads them.
  const refresh = options.refresh
    ? await (await import('./refresh.js')).readRefresh(desired, recorded, client, options)
    : undefined;
  // A refresh reads them all; without one, those a DELETE still on its way may remove are read.
  const lateDeletes =
    refresh || lateDeleteTargets(desired, recorded).length === 0
      ? undefined
      : await readLateDeletes(desired, recorded, client, options);
  const adopting = adoptionsWanted(desired, recorded, planOptions.adopt ?? false);
  const adoptView =
    adopting.length > 0
      ? await (await import('./adopt-read.js')).readAdoptView(adopting, client, options)
      : undefined;
  const left = options.followRuns ? leftRuns(desired, recorded) : [];
  const runsRead = left.length > 0 ? await readLeftRuns(left, client, options.signal) : undefined;
  return {
    ...(refresh ? { refresh } : {}),
    ...(lateDeletes ? { lateDeletes } : {}),
    ...(adoptView ? { adoptView } : {}),
    ...(runsRead ? { runsRead } : {}),
  };
}

/**
 * True when planning needs the service: a refresh, a manifest to adopt, or an audience a
 * DELETE still on its way may remove (late-delete.ts).
 */
export function needsLive(
  desired: LoadResult,
  recorded: RecordedState,
  planOptions: Pick<PlanOptions, 'adopt'>,
  refresh: boolean,
): boolean {
  return (
    refresh ||
    adoptionsWanted(desired, recorded, planOptions.adopt ?? false).length > 0 ||
    lateDeleteTargets(desired, recorded).length > 0
  );
}
