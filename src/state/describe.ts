import { countedUntil, currentRuns, holdsOnlyFormerRuns } from './current-runs.js';
import type { AudienceRecord } from './schema.js';
import { pastedFlags, type PasteFlags } from '../text/paste-flags.js';

/** Run statuses: only SUCCESS and FAILED are final; anything else is in progress. */
export const FINAL_RUN_STATUSES = ['SUCCESS', 'FAILED'] as const;

/** One short phrase for a record's condition, as `state list` shows it (`state show` has the details). */
export function recordStatus(record: AudienceRecord): string {
  if (record.blocked) return `blocked (${record.blocked.code})`;
  if (record.patchRefused) return "blocked (the audience's fields differ from the manifest's)";
  if (record.intent) return `${record.intent.kind} in flight since ${record.intent.startedAt}`;
  if (record.audienceId) return 'ok';
  if (record.operationId) return `creating (operation ${record.operationId})`;
  if (holdsOnlyFormerRuns(record))
    return `runs of deleted or forgotten audiences only, counted until ${untilText(record)}`;
  return 'no audience id';
}

/** Until when (ISO time, the runs' clock) the newest of the record's runs counts against the daily run budget. */
export function untilText(record: Pick<AudienceRecord, 'runs'>): string {
  return new Date(countedUntil(record.runs) * 1000).toISOString();
}

/** `1 run`, `2 runs`. */
export function runCount(n: number): string {
  return n === 1 ? '1 run' : `${n} runs`;
}

/**
 * What a removal, a forget or a settled delete says of the runs-only record it kept
 * (runsOnlyRemnant): `the record keeps only its 1 run of deleted audiences, counted against the
 * sandbox's daily run budget until <time>`; `of`: whose runs they are.
 */
export function keptRunsOnlyNote(kept: Pick<AudienceRecord, 'runs'>, of = 'deleted audiences'): string {
  return `the record keeps only its ${runCount(kept.runs.length)} of ${of}, counted against the sandbox's daily run budget until ${untilText(kept)}`;
}

/**
 * What a record holding only runs of deleted audiences is (holdsOnlyFormerRuns), for `state show`
 * and `state list`; undefined for any other record.
 */
export function runsOnlyNote(record: AudienceRecord, paste?: PasteFlags): string | undefined {
  if (!holdsOnlyFormerRuns(record)) return undefined;
  const { sandbox, key } = record;
  return `${sandbox}/${key} names no audience: it keeps only ${runCount(record.runs.length)} of deleted or forgotten audiences, which count against sandbox ${sandbox}'s daily run budget until ${untilText(record)} (its manifest removed, its audience forgotten, or a create that made nothing to be made again). While a manifest names ${key}, the plan creates the audience into it (or, with metadata.adopt or --adopt, adopts the one external audience of that name, and \`state import --discover\` matches it: any audience of the name, which may be another than its forgotten one; the plan says which; its runs are kept either way), and does nothing with it otherwise; an apply after that time (and the 5 minutes the clocks are given) drops it, and \`audiencectl state forget ${key} --sandbox ${sandbox}${pastedFlags(paste, 'state')}\` drops it now (its runs then no longer count).`;
}

/**
 * Over a runs-only record (its audience forgotten from this key, or deleted): whether the
 * audience adopted, discovered or imported is the one this key recorded before. Adoption and
 * `state import --discover` take any single audience of the name, so a colleague's, made after
 * the forget, is said to be another. '' with no such runs.
 */
export function formerAudienceNote(
  record: AudienceRecord | undefined,
  audience: { audienceId: string; createdAt?: number | undefined; createdBy?: string | undefined },
): string {
  const former = [...new Set((record?.runs ?? []).flatMap((run) => run.formerAudienceId ?? []))];
  if (former.length === 0) return '';
  if (former.includes(audience.audienceId))
    return '; it is the audience this key recorded before, taken back';
  const made = [
    audience.createdAt === undefined ? '' : `created ${new Date(audience.createdAt * 1000).toISOString()}`,
    audience.createdBy === undefined ? '' : `by ${audience.createdBy}`,
  ]
    .filter((part) => part !== '')
    .join(' ');
  return `; it is NOT the audience this key recorded before (${former.join(', ')}, forgotten or deleted): another audience of the same name${made === '' ? '' : ` (${made})`}, whose changeable properties the PATCH sets to the manifest`;
}

export function lastRunStatus(record: AudienceRecord): string {
  const run = currentRuns(record)[0];
  return run ? `${run.status} (${run.runId})` : '-';
}

/** What to do about a failed run: the service never retries it, and neither does audiencectl. */
export const RUN_FAILED_NEXT = 'change ingestion.request to start a new run';

/** A record's last run, when it failed: its id, the service's reason and what to do next. */
export type RunFailure = { runId: string; reason: string; next: string };

export function lastRunFailure(record: AudienceRecord): RunFailure | undefined {
  // Runs are kept newest first (record-changes.ts).
  const run = currentRuns(record)[0];
  if (run?.status !== 'FAILED') return undefined;
  return { runId: run.runId, reason: run.failureReason ?? 'no reason given', next: RUN_FAILED_NEXT };
}

/** One line for a person: `run <id> FAILED: <reason>; change ingestion.request ...`. */
export function describeRunFailure(failure: RunFailure): string {
  return `run ${failure.runId} FAILED: ${failure.reason}; ${failure.next}`;
}
