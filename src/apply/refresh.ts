import { createdSeconds, isExternal, type LiveAudience } from '../aep/segment-types.js';
import type { AudienceReads } from '../aep/types.js';
import { AudiencectlError } from '../errors.js';
import type { LoadResult } from '../manifest/load.js';
import type { FoundAudience, LiveState, RefreshView } from '../plan/schema.js';
import type { AudienceRecord, RecordedState } from '../state/schema.js';
import { recordId } from '../state/record-id.js';
import { aepFailure } from './aep-failure.js';

/** A refresh read failed: nothing is read as deleted, the plan is not made from a guess. */
export class RefreshError extends AudiencectlError {
  override readonly name = 'RefreshError';
}

export type RefreshOptions = {
  /** Ids per bulk-get (`api.bulkBatchSize`); default the client's (50). */
  batchSize?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Epoch ms of the read. */
  now: number;
};

/** The records a refresh reads: those with an audience id whose manifest is in the source. */
export function refreshTargets(desired: LoadResult, recorded: RecordedState): AudienceRecord[] {
  const wanted = new Set(desired.manifests.map((m) => recordId(m.sandbox, m.key)));
  return recorded.audiences.filter(
    (record) => record.audienceId !== undefined && wanted.has(recordId(record.sandbox, record.key)),
  );
}

/** An audience as the planner sees it: what the Audiences API shows, as plain data. */
export function foundAudience(found: LiveAudience, audienceId = found.id): FoundAudience {
  const created = createdSeconds(found);
  return {
    status: 'found',
    audienceId,
    name: found.name,
    ...(found.description === undefined ? {} : { description: found.description }),
    ...(found.labels === undefined ? {} : { labels: found.labels }),
    ...(found.ttlInDays === undefined ? {} : { ttlInDays: found.ttlInDays }),
    external: isExternal(found),
    ...(found.originName === undefined ? {} : { originName: found.originName }),
    ...(found.namespace === undefined ? {} : { namespace: found.namespace }),
    ...(found.createdBy === undefined ? {} : { createdBy: found.createdBy }),
    ...(created === undefined ? {} : { createdAt: created }),
  };
}

function liveState(audienceId: string, found: LiveAudience | undefined): LiveState {
  return found ? foundAudience(found, audienceId) : { status: 'missing', audienceId };
}

/**
 * Reads the recorded audiences of `desired` back from the Audiences API, by bulk-get in
 * batches, one sandbox after another. The planner gets the result as data. An audience is
 * `missing` only when the service answered without it; any failed batch fails the refresh.
 */
export async function readRefresh(
  desired: LoadResult,
  recorded: RecordedState,
  client: Pick<AudienceReads, 'bulkGetAudiences'>,
  options: RefreshOptions,
): Promise<RefreshView> {
  const bySandbox = new Map<string, AudienceRecord[]>();
  for (const record of refreshTargets(desired, recorded)) {
    bySandbox.set(record.sandbox, [...(bySandbox.get(record.sandbox) ?? []), record]);
  }
  const audiences: RefreshView['audiences'] = {};
  for (const [sandbox, records] of bySandbox) {
    const ids = records.map((record) => record.audienceId ?? '');
    let found: Map<string, LiveAudience | undefined>;
    try {
      found = await client.bulkGetAudiences(sandbox, ids, {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      });
    } catch (error) {
      throw new RefreshError(
        'REFRESH_FAILED',
        `cannot refresh the audiences of sandbox "${sandbox}": ${aepFailure(error).message.replace(/\.$/, '')}; nothing was planned from it (try again, or plan without --refresh)`,
        { cause: error },
      );
    }
    for (const record of records) {
      const id = record.audienceId ?? '';
      audiences[recordId(record.sandbox, record.key)] = liveState(id, found.get(id));
    }
  }
  return { at: new Date(options.now).toISOString(), audiences };
}
