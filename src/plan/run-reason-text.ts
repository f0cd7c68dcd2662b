import { requestToken } from './runs.js';

/** A run's reason (RunRecord.reason) in a manifest's words. */
export function runReasonText(reason: string | undefined): string {
  const token = requestToken(reason);
  if (token !== undefined) return `ingestion.request "${token}"`;
  if (reason === 'onCreate') return 'the first run (ingestion.onCreate)';
  if (reason === 'every') return 'the periodic run (ingestion.every)';
  return 'a run';
}
