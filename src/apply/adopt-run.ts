import type { Run, RunsListed } from '../aep/types.js';
import type { Intent, RunRecord } from '../state/schema.js';

/**
 * A run started this long before our intent, both in AEP's clock (run-intent.ts shifts the
 * intent's time by the measured offset), still counts as ours: the offset is read from
 * 1-second Date headers, and transit adds some.
 */
const ADOPT_MARGIN_SECONDS = 120;

/**
 * A runs list this long may be a page cut from a longer one: the page's default `limit` is 20
 * (commented out, with `_page`), and listRuns asks for 40 only where the service takes it.
 * Only where the list does not say (`complete`, listRuns) whether it is cut.
 */
export const RUNS_PAGE_FLOOR = 20;

/** What a run request whose answer never came did, as far as the runs list tells. */
export type RunMatch =
  | { kind: 'adopt'; run: Run }
  | { kind: 'none' }
  /** The list does not tell: the intent must be kept, and no run started. */
  | { kind: 'unknown'; why: string };

type RunIntent = Pick<Intent, 'dataFilterStartTime' | 'knownRunIds' | 'listedAll'>;

/**
 * After a run request whose outcome is unknown: the run it started, if the service's list
 * (`runs`, newest first as listRuns sorts them) shows it. Adopting it, rather than asking
 * again, is how a run is never started twice; adopting one that is not ours is as bad.
 *
 * The page gives a run's `createdAt` two readings: the run's own time, or "when the request to
 * create the external audience was submitted", the same for every run of the audience (its
 * run-status sample). So time alone is trusted only where it tells: a run is this request's
 * when it echoes the `dataFilterStartTime` sent, audiencectl does not know it (`known`: the
 * record's runs), and it is new since the runs listed before the request (`intent.knownRunIds`),
 * or, where that list is missing or may have been cut, it was created since `sinceSeconds`
 * (AEP's clock) while the listed runs' times differ (so they are not the audience's one time).
 */
export function matchRun(
  runs: Readonly<RunsListed>,
  intent: RunIntent,
  sinceSeconds: number,
  known: ReadonlySet<string>,
): RunMatch {
  const before = intent.knownRunIds ? new Set(intent.knownRunIds) : undefined;
  const sent = intent.dataFilterStartTime;
  const unknown = runs.filter((run) => !known.has(run.runId) && !before?.has(run.runId));
  const echoes = (run: Run) =>
    sent === undefined || run.dataFilterStartTime === undefined || run.dataFilterStartTime === sent;
  const candidates = unknown.filter(echoes);
  // A new run from another start is someone else's, or the request's if the service moved
  // the start it was sent (neither page says it echoes it as sent; its samples do): never
  // read as "no run", which would start a second run if it was the request's.
  const otherStarts = (among: readonly Run[]) => {
    const others = among.filter((run) => !echoes(run));
    return others.length === 0
      ? undefined
      : ({ kind: 'unknown', why: otherStartsWhy(others, sent) } as const);
  };
  const timed = (run: Run) => (run.createdAt ?? 0) >= sinceSeconds - ADOPT_MARGIN_SECONDS;
  // Under the audience reading every run shows one time; a single run shows nothing either way.
  const times = new Set(runs.map((run) => run.createdAt).filter((t) => t !== undefined));
  const timesTell = times.size >= 2;
  const mayBeCut = mayBeCutList(runs);
  // A maybe cut page the service would not sort newest first (an oldest-first one) may lack
  // the request's run however the times it shows differ: it proves no run absent.
  const lacksNewest = mayLackNewest(runs);
  const undecided = (): RunMatch => ({ kind: 'unknown', why: undecidedWhy(runs, candidates, lacksNewest) });

  if (before && intent.listedAll === true) {
    // Every run the service had before the request was listed: a run not among them is new.
    if (candidates.length === 1) return { kind: 'adopt', run: candidates[0]! };
    if (candidates.length > 1) {
      return {
        kind: 'unknown',
        why: `${candidates.length} runs started since the request (${candidates.map((r) => r.runId).join(', ')}) and not one can be told apart as its own`,
      };
    }
    if (!mayBeCut || (timesTell && !lacksNewest)) return otherStarts(unknown) ?? { kind: 'none' };
    return undecided();
  }

  // No complete list from before the request: the run's time must tell. Where the listed runs
  // all show one time, it tells only of a single run (an audience created minutes before the
  // request, with more runs than a page since, would break the service's runs-a-day guardrail).
  const timedCandidates = candidates.filter(timed);
  if (timedCandidates.length > 0 && (timesTell || timedCandidates.length === 1)) {
    return { kind: 'adopt', run: timedCandidates[0]! };
  }
  if (
    timedCandidates.length === 0 &&
    ((timesTell && !lacksNewest) || (candidates.length === 0 && !mayBeCut))
  ) {
    // Where the times tell, only a run since the request may be its own.
    return otherStarts(timesTell ? unknown.filter(timed) : unknown) ?? { kind: 'none' };
  }
  return undecided();
}

/** Why the list cannot tell what the request did (matchRun's `unknown`). */
function undecidedWhy(runs: readonly Run[], candidates: readonly Run[], lacksNewest: boolean): string {
  if (lacksNewest) {
    return `the service lists ${runs.length} runs of the audience, maybe a page cut from more, in its own order (it refused limit/sortBy, which would list the newest first), so the run the request started may be past the page`;
  }
  if (candidates.length === 0) return cutOfOneTime(runs.length);
  return `the service lists run${candidates.length === 1 ? '' : 's'} ${candidates.map((r) => r.runId).join(', ')} that audiencectl does not know, and the runs' createdAt (one time for all) cannot tell whether one started from the request`;
}

/** Why runs new since the request, started from another `dataFilterStartTime` than `sent`, tell nothing. */
function otherStartsWhy(runs: readonly Run[], sent: number | undefined): string {
  const one = runs.length === 1;
  const starts = [...new Set(runs.map((run) => run.dataFilterStartTime))].join(', ');
  return `the service lists ${one ? 'a run' : 'runs'} audiencectl does not know (${runs.map((r) => r.runId).join(', ')}) from dataFilterStartTime ${starts}, where the request sent ${sent}: ${one ? 'it is' : 'one may be'} the request's if the service moved the start it was sent, or another's`;
}

/** Why a list of `count` runs, all of one time and maybe cut, tells nothing of the request. */
function cutOfOneTime(count: number): string {
  return `the service lists ${count} runs of the audience, all created at one time, so the list may be cut before the run the request started`;
}

/** Whether a runs list may be a page cut from a longer one: as it says, else by its length. */
export function mayBeCutList(runs: Readonly<RunsListed>): boolean {
  return runs.complete === undefined ? runs.length >= RUNS_PAGE_FLOOR : !runs.complete;
}

/**
 * Whether a runs list may be a page cut from a longer one that the service would not sort newest
 * first (RunsListed `holdsNewest`): a run it lacks may be past its page, so it proves no run
 * absent, wherever it is read (matchRun, the run step's untraced-runs check, settle-run).
 */
export function mayLackNewest(runs: Readonly<RunsListed>): boolean {
  return mayBeCutList(runs) && runs.holdsNewest === false;
}

/**
 * What the state records of a run the service reported, with its failure reason where it failed;
 * `fallback` fills what the response left out.
 */
export function runRecord(
  run: Run,
  fallback: { start: number; now: number; reason?: string | undefined },
): RunRecord {
  const failureReason = run.status === 'FAILED' ? run['failureReason'] : undefined;
  return {
    runId: run.runId,
    status: run.status ?? 'PROCESSING',
    createdAt: run.createdAt ?? fallback.now,
    dataFilterStartTime: run.dataFilterStartTime ?? fallback.start,
    ...(run.dataFilterEndTime === undefined ? {} : { dataFilterEndTime: run.dataFilterEndTime }),
    ...(fallback.reason === undefined ? {} : { reason: fallback.reason }),
    ...(typeof failureReason === 'string' ? { failureReason } : {}),
  };
}

/**
 * When an adopted run began: between the request and its adoption (`requested`, `now`, both in
 * AEP's clock). The service's createdAt is taken where it lies there (give or take the margin);
 * else (the audience's creation time, or none) `fallback`, the request's time in the clock runs
 * are decided in: at most seconds before the run began.
 */
export function adoptedRunTime(
  createdAt: number | undefined,
  at: { requested: number; now: number; fallback: number },
): number {
  if (
    createdAt !== undefined &&
    createdAt >= at.requested - ADOPT_MARGIN_SECONDS &&
    createdAt <= at.now + ADOPT_MARGIN_SECONDS
  ) {
    return createdAt;
  }
  return at.fallback;
}
