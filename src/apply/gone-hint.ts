import type { ExecutorDeps } from './types.js';

/**
 * What a 404 for an audience's own id says to do: one 404 proves nothing (a replica that has
 * not seen it, a gateway), and an apply without a refresh reads nothing else of it, so it would
 * meet the same 404 at every apply; a refresh reads it back and creates it again only if it is
 * gone. Said by every step that meets one (a PATCH, the runs read before a run).
 */
export function mayBeGoneHint(audienceId: string, deps: Pick<ExecutorDeps, 'refreshWay'>): string {
  return `audience ${audienceId} may no longer exist remotely: ${deps.refreshWay ?? 'run this apply again with --refresh'}, which reads the audience back and creates it again only if it is gone (its record, runs and name kept)`;
}
