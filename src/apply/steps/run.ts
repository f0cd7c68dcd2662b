import type { Run, RunsListed } from '../../aep/types.js';
import type { Step } from '../../plan/schema.js';
import { honouredRequest, isRunFinal, lastSuccessEnd, requestToken } from '../../plan/runs.js';
import { currentRuns, withoutStaleFormerRuns } from '../../state/current-runs.js';
import { describeRunFailure, RUN_FAILED_NEXT } from '../../state/describe.js';
import type { AudienceRecord, RunRecord } from '../../state/schema.js';
import { mayBeCutList, mayLackNewest, runRecord } from '../adopt-run.js';
import { aepFailure, isRefusal } from '../aep-failure.js';
import { pollUntil } from '../poll.js';
import { budgetHorizon, clearIntent, currentRecord, manifestFileOf, result } from '../record-helpers.js';
import { settleRunIntent, type RunIntentOutcome } from '../run-intent.js';
import { measuredOffset, serviceShift } from '../service-time.js';
import { untracedRuns } from '../../state/untraced-runs.js';
import { runWithAnswer, withRun } from '../../state/run-answer.js';
import { runReasonText } from '../../plan/run-reason-text.js';
import { shellQuote } from '../../text/shell-quote.js';
import type { ExecutorDeps, StepResult } from '../types.js';
import { checkUnverifiedImport } from '../unverified-import.js';
import { adoptUnansweredRun, LATE_RUN_ADOPTED } from '../unanswered-run.js';
import { pastedFlags, type PasteFlags } from '../../text/paste-flags.js';
import { hiddenRunsRecorded } from '../../state/hidden-runs.js';
import { runsBeforeRun, STOPPED_BEFORE_RUN } from '../runs-before-run.js';
import { listedInProgress, waitForListed, waitsForListed } from '../listed-in-progress.js';

/** Waits for a run to end, recording each status it reports. */
async function followRun(
  step: Step,
  audienceId: string,
  run: RunRecord,
  deps: ExecutorDeps,
): Promise<RunRecord> {
  const { client, store, clock, signal } = deps;
  const outcome = await pollUntil(
    () => client.getRun(step.sandbox, audienceId, run.runId, signal ? { signal } : {}),
    (r) => isRunFinal({ ...run, status: r.status ?? 'PROCESSING' }),
    deps.runPoll,
    clock,
    signal,
    deps.drain,
  );
  const updated = runWithAnswer(run, outcome.done ? outcome.value : outcome.last);
  const record = await store.get(step.sandbox, step.key);
  if (record) await store.put({ ...record, runs: withRun(record.runs, updated) });
  return updated;
}

/**
 * Follows `run`, the run this step's request started (recorded already), to its end. A follow
 * cut short by a stop, or by a read or a write that failed, leaves the run recorded at its last
 * status, which the audience's next run waits for (inProgress): reported started (the apply
 * stopped) or failed, never "skipped", which says no run was asked for.
 */
async function followed(
  step: Step,
  audienceId: string,
  run: RunRecord,
  deps: ExecutorDeps,
): Promise<StepResult> {
  try {
    return runOutcome(step, audienceId, await followRun(step, audienceId, run, deps));
  } catch (error) {
    const extra = { audienceId, runId: run.runId, runStatus: run.status };
    const recorded = `run ${run.runId} started and recorded (${run.status})`;
    const next = 'the next run of this audience waits for it';
    if (deps.signal?.aborted)
      return result(step, 'started', `${recorded}; the apply was stopped before its end: ${next}`, extra);
    const cause = error instanceof Error ? error.message : String(error);
    return result(step, 'failed', `${recorded}, but not its end (${cause}): ${next}`, extra);
  }
}

function runOutcome(step: Step, audienceId: string, run: RunRecord): StepResult {
  const extra = { audienceId, runId: run.runId, runStatus: run.status };
  if (run.status === 'SUCCESS') return result(step, 'applied', `run ${run.runId} SUCCESS`, extra);
  if (run.status === 'FAILED')
    return result(
      step,
      'failed',
      describeRunFailure({
        runId: run.runId,
        reason: run.failureReason ?? 'no reason given',
        next: RUN_FAILED_NEXT,
      }),
      extra,
    );
  return result(
    step,
    'started',
    `run ${run.runId} still ${run.status}; recorded, the next plan follows it`,
    extra,
  );
}

/** The run this audience's record shows in progress, if any. */
function inProgress(record: AudienceRecord): RunRecord | undefined {
  return currentRuns(record).find((run) => !isRunFinal(run));
}

/**
 * For a `request:<token>` run: the run that honoured the token, if the record says the token
 * is honoured already (`unknown` when that run is no longer in the record); else undefined.
 */
function honouredSince(record: AudienceRecord, reason: string): RunRecord | 'unknown' | undefined {
  const token = requestToken(reason);
  if (token === undefined || token !== honouredRequest(record)) return undefined;
  return currentRuns(record).find((run) => run.reason === reason) ?? 'unknown';
}

/**
 * The step's answer when a run request's outcome cannot be learnt: nothing more is started.
 * `listed`: the runs list answered and cannot tell, and will not while the audience's runs
 * stay as they are: a person must look, and say what they saw with `state settle-run`, which
 * keeps the record's runs (docs/state.md, Intents).
 */
function undecided(
  step: Step,
  audienceId: string,
  message: string,
  listed: true | undefined,
  paste: PasteFlags | undefined,
): StepResult {
  const settle = `audiencectl state settle-run ${step.key} --sandbox ${step.sandbox}${pastedFlags(paste, 'state')}`;
  const next = listed
    ? `no run is started for this audience until it is settled: check the runs of audience ${audienceId} in AEP, then run: ${settle} --run-id RUN_ID (the run the request started), or ${settle} --no-run (it started none)`
    : 'the next apply asks the service again';
  return result(
    step,
    'failed',
    `cannot tell whether the run request started a run (${message}); the intent is kept and ${next}`,
    { audienceId },
  );
}

/**
 * The run step held by runs the record has no trace of (untracedRuns, newest first): one line
 * naming the newest, and the one command that records it as the run this step would start.
 */
function untracedBlock(
  step: Step,
  audienceId: string,
  untraced: readonly Run[],
  record: AudienceRecord,
  paste: PasteFlags | undefined,
): StepResult {
  const [run, ...more] = untraced;
  const created =
    run?.createdAt === undefined
      ? 'created at a time not shown'
      : `created ${new Date(run.createdAt * 1000).toISOString()}`;
  const others =
    more.length === 0 ? '' : ` (and ${more.length} more such run${more.length === 1 ? '' : 's'})`;
  const reason = step.run!.reason;
  const token = requestToken(reason);
  const request = token === undefined ? '' : ` --request ${shellQuote(token)}`;
  const command = `audiencectl state settle-run ${step.key} --sandbox ${step.sandbox}${pastedFlags(paste, 'state')} --run-id ${run?.runId ?? ''}${request}`;
  return result(
    step,
    'blocked',
    `audience ${audienceId} shows run ${run?.runId ?? ''} (${run?.status ?? 'status not shown'}, ${created})${others}, which this state store has no trace of, ${untracedSince(record)}: its state is older than the service (restored from a backup), or another state store or a person started it; no run is started for ${runReasonText(reason)} until it is recorded. If it is that run, run: ${command}`,
    { audienceId },
  );
}

/**
 * The run step held by a runs list that may lack the audience's newest runs (mayLackNewest):
 * why, and what a person does, the command that records a run the page may hide (or one they
 * start in AEP for this step) so the step then counts it as this step's run.
 */
function cutListBlock(
  step: Step,
  audienceId: string,
  record: AudienceRecord,
  listed: Readonly<RunsListed>,
  paste: PasteFlags | undefined,
): StepResult {
  const reason = step.run!.reason;
  const token = requestToken(reason);
  const request = token === undefined ? '' : ` --request ${shellQuote(token)}`;
  const command = `audiencectl state settle-run ${step.key} --sandbox ${step.sandbox}${pastedFlags(paste, 'state')} --run-id RUN_ID${request}`;
  return result(
    step,
    'blocked',
    `the service lists ${shown(listed, audienceId)}, so a run this state store has no trace of (another store's or a person's) may be past the page: no run is started for ${runReasonText(reason)} over it. Check the runs of audience ${audienceId} in AEP; if one ${newerThan(record)}, run: ${command}; if none is, start the run in AEP and record it with that command`,
    { audienceId },
  );
}

/**
 * What a run past the page is told by, in the block's words (as untracedSince): on a record
 * holding no run, "newer than every run this store records" was every run of an imported
 * audience's history, and the command recorded one from before the import as this step's run
 * (review runs-41, L-1).
 */
function newerThan(record: AudienceRecord): string {
  if (currentRuns(record).length > 0) return 'is newer than every run this store records';
  if (record.imported) return `was created since this store imported it (${record.imported.at})`;
  return 'is there at all (this store records none of its runs)';
}

/** What a cut page shows, in the block's words: with the service's count, what is past it. */
function shown(listed: Readonly<RunsListed>, audienceId: string): string {
  const total = listed.totalCount;
  const start = listed.startIgnored
    ? `; start=${listed.length}, as other lists page, answers no page after it`
    : '';
  const order = `in its own order (it refused limit/sortBy, which would list the newest first${start})`;
  if (total === undefined)
    return `${listed.length} runs of audience ${audienceId}, maybe a page cut from more, ${order}`;
  return `${listed.length} of the ${total} runs of audience ${audienceId}, ${order}, and the ${total - listed.length} past the page are not all runs this state store records`;
}

/**
 * The step held by what the runs list read before its request shows (undefined: nothing holds
 * it): a run the record has no trace of, or a page that may hide one.
 */
function heldByListed(
  step: Step,
  audienceId: string,
  record: AudienceRecord,
  listed: Readonly<RunsListed>,
  deps: ExecutorDeps,
): StepResult | undefined {
  // A run the service lists that the record has no trace of, newer than every run it records
  // (its state restored from an older backup; another store's or a person's run): starting one
  // over it would ingest twice what it took. A person says what it is (state settle-run).
  const untraced = untracedRuns(record, listed, measuredOffset(deps.client) ?? 0);
  if (untraced[0]) return untracedBlock(step, audienceId, untraced, record, deps.paste);
  // A page the service cut in its own order (oldest first) may lack such a run past it: it
  // shows none absent, so no run is started over one it may hide (review 37v, H-1). Where the
  // service counts its runs, those past the page may all be runs the record holds.
  if (mayLackNewest(listed) && !hiddenRunsRecorded(record, listed))
    return cutListBlock(step, audienceId, record, listed, deps.paste);
  return undefined;
}

/**
 * The service's count of runs, where `listed` is a page that may lack the newest: what the run
 * and the intent keep, to count from what such a page does not show (hidden-runs.ts, run-intent.ts).
 */
function countedPage(listed: Readonly<RunsListed>): { countedBefore?: number } {
  return mayLackNewest(listed) && listed.totalCount !== undefined ? { countedBefore: listed.totalCount } : {};
}

/**
 * The start of a run that waited for `ended`, a run started outside audiencectl: where it
 * succeeded and the start is the end of the last successful run the record holds (the plan's
 * default, the manifest naming none), that run is now the last successful one, so the start
 * moves to its end: the files it took are not ingested again (review runs-40, M-2). A start
 * of 0 (no success recorded) is left: it may be a manifest's own.
 */
function afterOutsideSuccess(start: number, record: AudienceRecord, ended: Run): number {
  if (ended.status !== 'SUCCESS' || ended.dataFilterEndTime === undefined) return start;
  const last = lastSuccessEnd(record);
  return last !== 0 && start === last ? Math.max(start, ended.dataFilterEndTime) : start;
}

/** What an untraced run is newer than (untracedRuns), in the block's words. */
function untracedSince(record: AudienceRecord): string {
  if (currentRuns(record).length > 0) return 'newer than every run it records';
  if (record.imported) return `created since it imported the audience (${record.imported.at})`;
  return 'on an audience it records as its own create and records no run of';
}

export async function runStep(step: Step, deps: ExecutorDeps): Promise<StepResult> {
  const { store, client, clock, signal } = deps;
  const checked = await checkUnverifiedImport(step, await currentRecord(store, step), deps);
  if ('stop' in checked) return checked.stop;
  let record = checked.record;
  const audienceId = record.audienceId;
  if (!audienceId) return result(step, 'skipped', 'the audience has no id yet');
  const request = step.run!;

  // An earlier request whose answer never came: learn what it did before asking again.
  let listed: RunsListed | undefined;
  if (record.intent?.kind === 'run') {
    const settled = await settleRunIntent(store, client, record, clock, signal ? { signal } : {});
    if (settled.kind === 'unknown')
      return undecided(step, audienceId, settled.message, settled.listed, deps.paste);
    if (settled.kind === 'adopted' && settled.run.reason === request.reason) {
      progressNote(deps, step, settled.run);
      return followed(step, audienceId, settled.run, deps);
    }
    record = settled.record;
    if (settled.kind === 'none') listed = settled.listed;
  }

  // The plan may predate a run started for this very request: a request is honoured once,
  // never twice. (A saved plan that predates one settled on resume is refused before it gets
  // here, by checkSettledPlan; this holds for any other way a plan could lag the record.)
  const honouredBy = honouredSince(record, request.reason);
  if (honouredBy !== undefined) {
    if (honouredBy === 'unknown')
      return result(step, 'applied', `${request.reason} was already honoured`, { audienceId });
    return isRunFinal(honouredBy)
      ? runOutcome(step, audienceId, honouredBy)
      : followed(step, audienceId, honouredBy, deps);
  }

  // The service refuses a second run while one is in progress: wait for it, do not spin.
  const busy = inProgress(record);
  if (busy) {
    const finished = await followRun(step, audienceId, busy, deps);
    if (!isRunFinal(finished)) {
      return result(step, 'deferred', `run ${busy.runId} is still in progress; requeued for the next apply`, {
        audienceId,
      });
    }
    record = await currentRecord(store, step);
  }

  // The run waited for may have succeeded meanwhile: the default start moves to its end.
  let dataFilterStartTime = request.fromLastSuccess
    ? Math.max(request.dataFilterStartTime, lastSuccessEnd(record))
    : request.dataFilterStartTime;
  // The runs the service has before the request, so that a run new since can be told for this
  // request's should its answer be lost: a run's createdAt may be the audience's creation time,
  // the same for all its runs (docs/state.md). Not read again when settling just listed them
  // and no run was waited for since. A list that fails tells nothing: not that no other run is
  // there (another store's or a person's), so no run is started over one it may hide.
  if (listed === undefined || busy) {
    const read = await runsBeforeRun(step, audienceId, deps);
    if ('status' in read) return read;
    listed = read.listed;
  }
  // A request whose answer never came, settled as having started none, may have started its run
  // since: that run is its own, adopted, not a stranger's that holds the step (unanswered-run.ts).
  const late = await adoptUnansweredRun(store, client, record, listed, clock);
  if (late) {
    deps.progress.note(late.note);
    if (late.run.reason === request.reason) return followed(step, audienceId, late.run, deps);
    record = late.record;
  }
  const held = heldByListed(step, audienceId, record, listed, deps);
  if (held) return held;
  // A run the list shows in progress that the record does not hold is waited for as the
  // record's own are; once it ended, the runs are read again, and checked again.
  const outside = listedInProgress(record, listed);
  if (outside) {
    const waited = await waitForListed(step, audienceId, outside, deps);
    if (!('ended' in waited)) return waited;
    dataFilterStartTime = afterOutsideSuccess(dataFilterStartTime, record, waited.ended);
    const read = await runsBeforeRun(step, audienceId, deps);
    if ('status' in read) return read;
    listed = read.listed;
    const again = heldByListed(step, audienceId, record, listed, deps);
    if (again) return again;
    const another = listedInProgress(record, listed);
    if (another) return waitsForListed(step, audienceId, another);
  }
  // Stopped (the first Ctrl-C) while the runs were read: the read was the call in flight, the
  // run request is a new one, so none is sent, as a create stopped while the clock is read.
  if (deps.drain?.aborted || signal?.aborted)
    return result(step, 'skipped', STOPPED_BEFORE_RUN, { audienceId });
  const now = Math.floor(clock.now() / 1000);
  // The new audience's record drops the runs of an audience it replaced once they no longer count.
  const runs = withoutStaleFormerRuns(record.runs, budgetHorizon(deps));
  const pending = await store.beginIntent({ ...record, runs }, 'run', {
    runReason: request.reason,
    dataFilterStartTime,
    knownRunIds: listed.map((run) => run.runId),
    listedAll: !mayBeCutList(listed),
    ...countedPage(listed),
  });
  let started: Run | undefined;
  try {
    started = await client.startRun(
      step.sandbox,
      audienceId,
      { dataFilterStartTime },
      signal ? { signal } : {},
    );
  } catch (error) {
    const failure = aepFailure(error);
    if (failure.outcomeUnknown) {
      const settled = await checkUnknownRun(step, audienceId, pending, failure.message, deps);
      if ('status' in settled) return settled;
      if (settled.kind === 'unknown')
        return undecided(step, audienceId, settled.message, settled.listed, deps.paste);
      if (settled.kind === 'none') {
        return result(
          step,
          'failed',
          `run request outcome unknown (${failure.message}); the service shows no run from it yet: ${LATE_RUN_ADOPTED}, otherwise the next apply asks again`,
          { audienceId },
        );
      }
      progressNote(deps, step, settled.run);
      return followed(step, audienceId, settled.run, deps);
    } else {
      // Refused: sent and answered, whatever becomes of the write below (the intent kept, the
      // next apply finds no run from it). Otherwise it started nothing, but the service refused
      // nothing either (not sent, cancelled before it left, a proxy's page).
      const refused = isRefusal(failure);
      if (refused) deps.marks?.sent(`run request sent and refused (${failure.message})`);
      await clearIntent(store, pending);
      deps.marks?.recorded();
      if (!refused) return result(step, 'failed', `run request failed: ${failure.message}`, { audienceId });
      // 422: a run in progress, or a guardrail (runs a day); neither is fixed by retrying now. 409
      // too: the page names no code for a run in progress, and the appendix's one conflict fits.
      const status = failure.status === 422 || failure.status === 409 ? 'deferred' : 'failed';
      return result(step, status, `the service refused the run: ${failure.message}`, { audienceId });
    }
  }

  // Timed by our own clock at the request, shifted by the offset the answer's Date header
  // measured: the service's createdAt may be the audience's creation time (docs/state.md).
  const run: RunRecord = {
    ...runRecord(started, {
      start: dataFilterStartTime,
      now: now + serviceShift(client),
      reason: request.reason,
    }),
    createdAt: now + serviceShift(client),
    // What the next step counts the runs past such a page from (hidden-runs.ts).
    ...countedPage(listed),
  };
  const token = requestToken(request.reason);
  const honoured =
    token !== undefined && record.applied ? { ...record.applied, ingestionRequest: token } : undefined;
  // A failed write of the run leaves the intent, from which the next apply adopts this run (never
  // starting another): the step is said sent (deps.marks), whether or not the apply was stopped.
  deps.marks?.sent(`run request sent (run ${started.runId} started)`);
  await store.resolveIntent(pending, {
    kind: 'update',
    changes: { run, ...manifestFileOf(step, deps, pending), ...(honoured ? { applied: honoured } : {}) },
  });
  deps.marks?.recorded();
  progressNote(deps, step, run);
  return followed(step, audienceId, run, deps);
}

/**
 * Settles a run request sent whose outcome is unknown (settleRunIntent). A check that throws
 * (its write refused, the lock lost as the apply is stopped) leaves the intent written before
 * the request, from which the next apply settles it: the step says the request was sent,
 * never "skipped", which says nothing was.
 */
async function checkUnknownRun(
  step: Step,
  audienceId: string,
  pending: AudienceRecord,
  outcome: string,
  deps: ExecutorDeps,
): Promise<RunIntentOutcome | StepResult> {
  const { store, client, clock, signal } = deps;
  try {
    return await settleRunIntent(store, client, pending, clock, signal ? { signal } : {});
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    return result(
      step,
      'failed',
      `run request sent, its outcome unknown (${outcome}); its check against the runs list failed (${cause}): the intent is kept, and the next apply settles it from the runs list, never starting a second run`,
      { audienceId },
    );
  }
}

function progressNote(deps: ExecutorDeps, step: Step, run: RunRecord): void {
  deps.progress.note(
    `${step.sandbox}/${step.key}: run ${run.runId} started (dataFilterStartTime ${run.dataFilterStartTime})`,
  );
}
