import type { Logger } from '../log.js';
import type { LoadResult } from '../manifest/load.js';
import type { Source, SourceRevision } from '../source/types.js';
import type { DesiredCache } from './desired-cache.js';
import type { TriggerReason } from './triggers.js';

/** Passes that read every manifest again, whatever the source says changed (the safety net). */
export const FULL_READ_REASONS: ReadonlySet<TriggerReason> = new Set(['startup', 'resync']);
/**
 * Passes whose sync looks at everything: a git source checks the whole tree out rather
 * than update the previous one, a directory source rescans every file rather than only
 * the paths its watcher reported (a sync without hints, as on a poll, rescans anyway).
 */
export const FULL_SYNC_REASONS: ReadonlySet<TriggerReason> = FULL_READ_REASONS;

export function syncsFully(reasons: ReadonlySet<TriggerReason>, settings: { fullReads?: boolean }): boolean {
  return settings.fullReads === true || [...reasons].some((reason) => FULL_SYNC_REASONS.has(reason));
}

/**
 * The revision's manifests for a pass: only the files the source says changed are read
 * again, unless a reason of the pass asks for everything. Logs how it read them.
 */
export async function readDesired(
  cache: DesiredCache,
  revision: SourceRevision,
  reasons: ReadonlySet<TriggerReason>,
  context: { source: Source; signal: AbortSignal; settings: { fullReads?: boolean } },
  log: Logger,
): Promise<LoadResult> {
  const fullReason = context.settings.fullReads
    ? 'full reads'
    : [...reasons].sort().find((reason) => FULL_READ_REASONS.has(reason));
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
  const unsettled = cache.unsettled;
  if (unsettled.length > 0)
    log.info(
      { files: unsettled.length, first: unsettled[0] },
      'files changed while the pass read them: read again at the next pass',
    );
  return desired;
}
