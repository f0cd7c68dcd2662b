import { randomUUID } from 'node:crypto';
import { readyAudience } from './audience-service.js';
import { ApiError, notFound, validationError } from './errors.js';
import { answeredRunStatus, epochSeconds, runStatus } from './lifecycle.js';
import type { AudienceRecord, RunRecord } from './model.js';
import { parseRunFilter } from './run-filters.js';
import { ListRunsQuery, StartRunBody } from './schema.js';
import type { Call, Runtime } from './service-context.js';
import { checkSource } from './source-check.js';
import { utcDayStart } from './store.js';
import { parseOrThrow } from './validate.js';
import { compareText } from '../text/compare.js';
import { answeredCreatedAtMs, runSummaryView, type EmulatorRunSummary } from './views.js';

function runsOf(call: Call, audience: AudienceRecord): RunRecord[] {
  const runs: RunRecord[] = [];
  for (const runId of audience.runIds) {
    const run = call.scope.runs.get(runId);
    if (run) runs.push(run);
  }
  return runs;
}

/**
 * Starts an ingestion run. Checks and creation happen without any await in between, so of two
 * concurrent requests exactly one is accepted and the other sees the run in progress.
 */
export function startRun(runtime: Runtime, call: Call, audienceId: string, input: unknown): RunRecord {
  const audience = readyAudience(call, audienceId);
  // No body at all is read as an empty one, so the answer names the missing start time.
  const body = parseOrThrow(StartRunBody, input ?? {}, 'body');
  const { guardrails, runStageDelayMs, compat } = runtime.settings;
  if (compat.millisecondTimestamps === 'refused') refuseMilliseconds(body);
  const { caller, nowMs, scope } = call;
  const previous = runsOf(call, audience);
  const last = previous.at(-1);
  if (last && runStatus(last, nowMs) === 'PROCESSING') {
    // Which of the appendix's codes says so is the `runInProgress` reading.
    const code = compat.runInProgress === '409' ? '100950-409' : '100960-422';
    throw new ApiError(code, `Run ${last.runId} of this audience is still in progress.`);
  }
  const lifetime = guardrails.runsPerAudienceWindow === 'lifetime';
  // The page's "10 ingestions per audience" names no window: `day` (the last 24 h) is what the
  // client's run budget counts, so both agree by default (docs/emulator.md, "Guardrails").
  const counted = lifetime
    ? audience.runIds.length
    : previous.filter((run) => run.createdAtMs > nowMs - DAY_MS).length;
  if (counted >= guardrails.runsPerAudience) {
    throw new ApiError(
      '100960-422',
      `This audience has had ${guardrails.runsPerAudience} runs${lifetime ? '' : ' in the last 24 h'}, the most it may.`,
    );
  }
  // "100 ingestion runs a day per sandbox": by default over the last 24 h, as the client's run
  // budget counts them; `utc-day` (since 00:00 UTC) is the opt-in other reading (docs/emulator.md).
  const utcDay = guardrails.runsPerDayWindow === 'utc-day';
  const since = utcDay ? utcDayStart(nowMs) : nowMs - DAY_MS;
  const sandboxRuns = runtime.store.sandboxRunsSince(caller.orgId, caller.sandbox, since, nowMs);
  if (sandboxRuns >= guardrails.runsPerDayPerSandbox) {
    throw new ApiError(
      '100960-422',
      `This sandbox has started ${guardrails.runsPerDayPerSandbox} runs ${utcDay ? 'today (UTC)' : 'in the last 24 h'}, the most it may.`,
    );
  }
  const run: RunRecord = {
    runId: randomUUID(),
    orgId: caller.orgId,
    sandbox: caller.sandbox,
    audienceId,
    audienceName: audience.name,
    differentialIngestion: previous.some((run) => runStatus(run, nowMs) === 'SUCCESS'),
    dataFilterStartTime: body.dataFilterStartTime,
    // Filled in the unit the service answers run times in (the `runTimeUnit` reading).
    dataFilterEndTime:
      body.dataFilterEndTime ??
      (compat.runTimeUnit === 'milliseconds' ? Math.floor(nowMs) : epochSeconds(nowMs)),
    createdBy: caller.actor,
    createdAtMs: nowMs,
    audienceCreatedAt: audience.createdAt,
    stageMs: runStageDelayMs,
    outcome: 'SUCCESS',
    flowRunIds: [randomUUID(), randomUUID()],
  };
  const sourceProblem = runtime.storageRoot
    ? checkSource(runtime.storageRoot, audience.sourceSpec, audience.fields)
    : undefined;
  if (sourceProblem) {
    Object.assign(run, { outcome: 'FAILED', failedStage: 'DATASET_INGEST', failureReason: sourceProblem });
  } else if (runtime.faults.take('runFailure', 'startRun')) {
    Object.assign(run, {
      outcome: 'FAILED',
      failedStage: 'PROFILE_STORE_INGEST',
      failureReason: 'Profile ingestion failed (injected runFailure fault).',
    });
  }
  scope.runs.set(run.runId, run);
  audience.runIds.push(run.runId);
  runtime.store.recordSandboxRun(caller.orgId, caller.sandbox, nowMs);
  runtime.store.changed();
  return run;
}

const DAY_MS = 86_400_000;
/** Eleven digits or more is almost surely milliseconds. */
const LARGEST_SECONDS = 99_999_999_999;

/** Opt-in (`millisecondTimestamps: refused`): the page says epoch, and seconds elsewhere. */
function refuseMilliseconds(body: StartRunBody): void {
  const items = (['dataFilterStartTime', 'dataFilterEndTime'] as const)
    .filter((key) => (body[key] ?? 0) > LARGEST_SECONDS)
    .map((path) => ({ path, message: 'must be epoch seconds, not milliseconds' }));
  if (items.length > 0) throw validationError(items);
}

export function findRun(call: Call, audienceId: string, runId: string): RunRecord {
  readyAudience(call, audienceId);
  const run = call.scope.runs.get(runId);
  if (!run || run.audienceId !== audienceId) throw notFound('run', runId);
  return run;
}

export type RunList = {
  runs: EmulatorRunSummary[];
  _page?: { limit: number; count: number; totalCount: number };
  /** `runsListCut: paged`: the next page of the bare list, as the platform's other lists link it. */
  _links?: { next: { href: string } };
};

export function listRuns(runtime: Runtime, call: Call, audienceId: string, rawQuery: unknown): RunList {
  const list = pagedRunList(runtime, call, audienceId, rawQuery);
  // The page's sample has `_page` commented out; `omitted` answers as the sample reads.
  if (runtime.settings.compat.runsListPage !== 'omitted') return list;
  return list._links ? { runs: list.runs, _links: list._links } : { runs: list.runs };
}

function pagedRunList(runtime: Runtime, call: Call, audienceId: string, rawQuery: unknown): RunList {
  const audience = readyAudience(call, audienceId);
  if (runtime.settings.compat.runsListParams === 'refused')
    return bareRunList(runtime, call, audience, rawQuery);
  const query = parseOrThrow(ListRunsQuery, rawQuery, 'query');
  const { compat } = runtime.settings;
  const created = (run: RunRecord) => answeredCreatedAtMs(run, compat);
  const answered = (run: RunRecord, nowMs: number) => answeredRunStatus(run, nowMs, compat.runProgressStatus);
  const filters = query.property.map((expression) => parseRunFilter(expression, created, answered));
  const { nowMs } = call;
  const matching = runsOf(call, audience).filter((run) => filters.every((filter) => filter(run, nowMs)));
  const descending = query.sortBy.startsWith('-');
  const byName = query.sortBy.endsWith('name');
  // Sorted on the createdAt answered: with `runCreatedAt: audience` all tie, and stay in the
  // order they were started (oldest first) whichever way the list is sorted.
  matching.sort((a, b) => {
    const order = byName ? compareText(a.audienceName, b.audienceName) : 0;
    return (order || created(a) - created(b)) * (descending ? -1 : 1);
  });
  const page = matching.slice(0, query.limit);
  return {
    runs: page.map((run) => runSummaryView(run, nowMs, compat)),
    _page: { limit: query.limit, count: page.length, totalCount: matching.length },
  };
}

const LIST_PARAMETERS = ['limit', 'sortBy', 'property'] as const;

/** The page's commented-out default `limit`: where `runsListCut: page`/`paged` cut the bare list. */
const BARE_PAGE = 20;

/**
 * A service without the commented-out parameters: any of them is a 400, and the list comes
 * in the order runs were started (oldest first), which the page does not promise otherwise;
 * with `runsListCut: page`, only its first page of it; with `paged`, a page of it from `start`
 * (0 when not given), linking the next (`_links.next.href`) while there are more; with
 * `offset`, that page, naming no next one.
 */
function bareRunList(runtime: Runtime, call: Call, audience: AudienceRecord, rawQuery: unknown): RunList {
  const query = (rawQuery ?? {}) as Record<string, unknown>;
  const refused = LIST_PARAMETERS.filter((name) => query[name] !== undefined);
  if (refused.length > 0) {
    throw validationError(refused.map((name) => ({ path: name, message: 'is not a known query parameter' })));
  }
  const all = runsOf(call, audience);
  const { compat } = runtime.settings;
  const view = (run: RunRecord) => runSummaryView(run, call.nowMs, compat);
  if (compat.runsListCut === 'paged' || compat.runsListCut === 'offset')
    return pageOf(all, audience.audienceId, query, view, compat.runsListCut === 'paged');
  const cut = compat.runsListCut === 'page';
  const runs = (cut ? all.slice(0, BARE_PAGE) : all).map(view);
  const limit = cut ? BARE_PAGE : runs.length;
  return { runs, _page: { limit, count: runs.length, totalCount: all.length } };
}

/**
 * `runsListCut: paged`: the page of `all` from the query's `start`, and a link to the next one;
 * `offset` (`linked` false): the same page, naming no next one.
 */
function pageOf(
  all: RunRecord[],
  audienceId: string,
  query: Record<string, unknown>,
  view: (run: RunRecord) => EmulatorRunSummary,
  linked: boolean,
): RunList {
  const raw = query['start'] ?? '0';
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw))
    throw validationError([{ path: 'start', message: 'must be a whole number of runs from 0' }]);
  const start = Number(raw);
  const runs = all.slice(start, start + BARE_PAGE).map(view);
  const next = start + runs.length;
  const list: RunList = { runs, _page: { limit: BARE_PAGE, count: runs.length, totalCount: all.length } };
  if (linked && runs.length > 0 && next < all.length)
    list._links = { next: { href: `/data/core/ais/external-audience/${audienceId}/runs?start=${next}` } };
  return list;
}
