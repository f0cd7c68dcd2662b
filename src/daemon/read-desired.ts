import type { Logger } from '../log.js';
import type { LoadResult } from '../manifest/load.js';
import type { Source, SourceRevision } from '../source/types.js';
import type { DesiredCache } from './desired-cache.js';
import type { TriggerReason } from './triggers.js';

/** Passes that read every manifest again, whatever the source says changed (the safety net). */
export const FULL_READ_REASONS: ReadonlySet<TriggerReason> = new Set(['startup', 'resync']);
/** Passes whose sync looks at every file (a directory source otherwise trusts its watcher). */
export const FULL_SYNC_REASONS: ReadonlySet<TriggerReason> = new Set(['startup', 'resync', 'poll']);

export function syncsFully(reasons: ReadonlySet<TriggerReason>): boolean {
  return [...reasons].some((reason) => FULL_SYNC_REASONS.has(reason));
}

/**
 * The revision's manifests for a pass: only the files the source says changed are read
 * again, unless a reason of the pass asks for everything. Logs how it read them.
 */
export async function readDesired(
  cache: DesiredCache,
  revision: SourceRevision,
  reasons: ReadonlySet<TriggerReason>,
  context: { source: Source; signal: AbortSignal },
  log: Logger,
): Promise<LoadResult> {
  const fullReason = [...reasons].sort().find((reason) => FULL_READ_REASONS.has(reason));
  const started = performance.now();
  const desired = await cache.load(
    revision,
    context.source,
    { full: fullReason !== undefined, reason: fullReason ?? '' },
    context.signal,
  );
  const report = cache.last;
  log.info(
    {
      mode: report?.mode,
      reason: report?.reason,
      files: report?.read.length,
      ms: Math.round(performance.now() - started),
    },
    'manifests read',
  );
  return desired;
}
