import { redactText } from '../text/secrets.js';
import type { AudienceRecord } from './schema.js';

/**
 * The record with each run's failureReason scrubbed as it now is where it enters
 * (aep/types.ts): records written before that hold the service's raw text, which may quote
 * the request it failed (a client secret, a bearer token, a URL's password), and plan,
 * apply and the state commands print it. Done where a store reads its records, so that the
 * planner stays pure and no reader can forget it; a record without a failed run costs a
 * look at its runs. Changed in place: each read hands out records of its own.
 */
export function scrubFailureReasons(record: AudienceRecord): AudienceRecord {
  for (const run of record.runs) {
    if (run.failureReason !== undefined) run.failureReason = redactText(run.failureReason);
  }
  return record;
}
