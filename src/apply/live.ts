import type { AudienceReads } from '../aep/types.js';
import type { LoadResult } from '../manifest/load.js';
import type { PlanOptions } from '../plan/plan.js';
import type { RecordedState } from '../state/schema.js';
import { adoptionsWanted, readAdoptView } from './adopt-read.js';
import { readRefresh } from './refresh.js';

export type LiveReadOptions = {
  /** `--refresh`: read the recorded audiences back. */
  refresh: boolean;
  /** Ids per bulk-get. */
  batchSize?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Epoch ms. */
  now: number;
};

/**
 * What the planner needs from the service, read at the edge and handed to it as data: the
 * recorded audiences as they are (with `refresh`), and the audiences manifests may adopt
 * (only when some manifest without a record asks to). Nothing asked: no request.
 */
export async function readLive(
  desired: LoadResult,
  recorded: RecordedState,
  planOptions: Pick<PlanOptions, 'adopt'>,
  client: Pick<AudienceReads, 'bulkGetAudiences' | 'findAudiencesByName'>,
  options: LiveReadOptions,
): Promise<Pick<PlanOptions, 'refresh' | 'adoptView'>> {
  const refresh = options.refresh ? await readRefresh(desired, recorded, client, options) : undefined;
  const adopting = adoptionsWanted(desired, recorded, planOptions.adopt ?? false);
  const adoptView = adopting.length > 0 ? await readAdoptView(adopting, client, options) : undefined;
  return { ...(refresh ? { refresh } : {}), ...(adoptView ? { adoptView } : {}) };
}

/** True when planning needs the service: a refresh, or a manifest to adopt. */
export function needsLive(
  desired: LoadResult,
  recorded: RecordedState,
  planOptions: Pick<PlanOptions, 'adopt'>,
  refresh: boolean,
): boolean {
  return refresh || adoptionsWanted(desired, recorded, planOptions.adopt ?? false).length > 0;
}
