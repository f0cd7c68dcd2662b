import { createdSeconds, isExternal, type LiveAudience } from '../aep/segment-types.js';
import type { AskedWait } from '../aep/asked-waits.js';
import type { AepClient, AudienceReads } from '../aep/types.js';
import { AudiencectlError } from '../errors.js';
import type { LoadResult } from '../manifest/load.js';
import type { FoundAudience, LiveState, RefreshView } from '../plan/schema.js';
import { shownTtl } from '../plan/ttl-outside.js';
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
  /**
   * Told of each sandbox whose read failed; that sandbox's audiences are then left out of the
   * view (planned from their records alone) and the other sandboxes' are read. The controller's
   * way: one sandbox's rotated secret must not hide drift in every other (review 37a, M-1).
   * Absent: the first failure fails the refresh (`plan --refresh` and `apply --refresh`: the
   * person asked for a read of every audience, and gets it or an error).
   */
  sandboxFailed?: ((failure: SandboxRefreshFailure) => void) | undefined;
};

/** One sandbox a refresh could not read, and why (its error names the sandbox). */
export type SandboxRefreshFailure = { sandbox: string; error: RefreshError };

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
    ...shownTtl(found.ttlInDays),
    external: isExternal(found),
    ...(found.originName === undefined ? {} : { originName: found.originName }),
    ...(found.namespace === undefined ? {} : { namespace: found.namespace }),
    ...(found.createdBy === undefined ? {} : { createdBy: found.createdBy }),
    ...(created === undefined ? {} : { createdAt: created }),
    ...(found.lifecycleState === undefined ? {} : { lifecycleState: found.lifecycleState }),
  };
}

function liveState(audienceId: string, found: LiveAudience | undefined): LiveState {
  return found ? foundAudience(found, audienceId) : { status: 'missing', audienceId };
}

/**
 * Reads the recorded audiences of `desired` back from the Audiences API, by bulk-get in
 * batches, one sandbox after another. The planner gets the result as data. An audience is
 * `missing` only when the service answered without it; a failed batch fails its sandbox's
 * read: the whole refresh, or (`sandboxFailed`) only that sandbox, left out of the view.
 */
export async function readRefresh(
  desired: LoadResult,
  recorded: RecordedState,
  client: Pick<AudienceReads, 'bulkGetAudiences'> & Pick<AepClient, 'askedWait'>,
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
      // The service asked this sandbox for a wait a call did not take: reading it before that
      // wait is over would send into the throttle or the maintenance it announced.
      const asked = client.askedWait?.(sandbox);
      if (asked !== undefined) throw new Error(waitingMessage(sandbox, asked));
      found = await client.bulkGetAudiences(sandbox, ids, {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      });
    } catch (error) {
      const told = options.sandboxFailed;
      // A stop is no sandbox's failure: nothing more is read, nor planned.
      if (told === undefined || options.signal?.aborted) throw refreshError(sandbox, error, 'whole');
      told({ sandbox, error: refreshError(sandbox, error, 'sandbox') });
      continue;
    }
    for (const record of records) {
      const id = record.audienceId ?? '';
      audiences[recordId(record.sandbox, record.key)] = liveState(id, found.get(id));
    }
  }
  return { at: new Date(options.now).toISOString(), audiences };
}

function waitingMessage(sandbox: string, asked: AskedWait): string {
  const seconds = (ms: number) => `${Math.ceil(ms / 1000)} s`;
  // AEP throttles the org: a wait asked in another sandbox of it holds this one too (AskedWaits).
  const where = asked.sandbox === sandbox ? 'this sandbox' : `sandbox "${asked.sandbox}" of the same IMS org`;
  return `not read: AEP asked for a Retry-After of ${seconds(asked.retryAfterMs)} in ${where} (longer than retry.maxRetryAfterMs, so a call gave up on it), ${seconds(asked.leftMs)} of it left; nothing was sent.`;
}

function refreshError(sandbox: string, error: unknown, failed: 'whole' | 'sandbox'): RefreshError {
  const advice =
    failed === 'whole'
      ? 'nothing was planned from it (try again, or plan without --refresh)'
      : "its audiences were planned from their records alone, the other sandboxes' from what was read";
  return new RefreshError(
    'REFRESH_FAILED',
    `cannot refresh the audiences of sandbox "${sandbox}": ${aepFailure(error).message.replace(/\.$/, '')}; ${advice}`,
    { cause: error },
  );
}
