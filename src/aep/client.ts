import { componentLogger } from '../component-logger.js';
import { audienceReads } from './audience-reads.js';
import { deleteAudience } from './delete-audience.js';
import { accessOrgOf } from './credentials.js';
import {
  Compat,
  refusedAtBothShapes,
  refusesRunsListParams,
  refusesSourceShape,
  withSourceShape,
  type CompatChoices,
} from './compat.js';
import { AepError, isNotFoundAnswer } from './errors.js';
import { tellFieldsRefusal } from './fields-refusal.js';
import type { AepClientOptions } from './options.js';
import type { AskedWait } from './asked-waits.js';
import type { ClockReading } from './service-clock.js';
import type { AepClientStats } from './stats.js';
import { pathSegment } from './path-segment.js';
import { RunsListCutError } from './runs-list-cut.js';
import { followRunPages, namesNextPage } from './runs-pages.js';
import { readFromStart } from './runs-from-start.js';
import { createTransport } from './transport.js';
import {
  AudienceView,
  CreateResponse,
  Operation,
  Run,
  RunList,
  type AepClient,
  type RunsExtent,
  type RunsListed,
} from './types.js';

/** The AepClient over HTTP, plus counters for the executor's summary and the daemon's metrics. */
export interface AepHttpClient extends AepClient {
  stats(): AepClientStats;
  /** The readings of the page learned so far (compat.ts), to keep in the state. */
  compat(): CompatChoices;
  serviceClock(): ClockReading | undefined;
  askedWait(sandbox: string): AskedWait | undefined;
}

/** How many runs `listRuns` asks for, when the service takes the parameter: the most the API returns in one page. */
const RUNS_PAGE = 40;

/** Newest first; runs without a creation time last (the sort is stable). */
function byNewest(a: Run, b: Run): number {
  const at = a.createdAt ?? Number.NEGATIVE_INFINITY;
  const bt = b.createdAt ?? Number.NEGATIVE_INFINITY;
  if (at === bt) return 0;
  return at > bt ? -1 : 1;
}

/** The page a runs list is answered in without `limit` (commented out of the page, with `_page`). */
const RUNS_DEFAULT_PAGE = 20;

/**
 * The list newest first, and whether it holds every run: by its `totalCount` where given, else
 * by not holding a page (`limit`: the page asked for and taken; a list of exactly the default
 * page may be one cut there by a service that took `limit` without honouring it). A bare list
 * (no `limit`) of more runs than the default page was cut at no page: read as maybe cut, a
 * service answering its whole list without `_page` blocked every run step of an audience past
 * 20 runs for good (review runs-40, H-2), by the very reading that makes one of fewer whole.
 */
function listedRuns(list: RunList, limit?: number): RunsListed {
  const count = list.runs.length;
  const total = list._page?.totalCount;
  const page = limit ?? Number.POSITIVE_INFINITY;
  const complete =
    total !== undefined
      ? total <= count
      : (count < RUNS_DEFAULT_PAGE || (count > RUNS_DEFAULT_PAGE && count < page)) && !fillsOwnPage(list);
  const counted = total === undefined ? {} : { totalCount: total };
  const sorted = [...list.runs].sort(byNewest);
  return withExtent(sorted, complete ? { complete: true, ...counted } : { complete: false, ...counted });
}

/** `runs` marked with `extent`, not enumerable: the list is still compared and printed as the runs it holds. */
function withExtent(runs: Run[], extent: RunsExtent): RunsListed {
  for (const [key, value] of Object.entries(extent))
    Object.defineProperty(runs, key, { value, enumerable: false });
  return runs;
}

/**
 * The list says the page it was cut at (`_page.limit`) and fills it: a page that may be cut,
 * whatever its size. A bare list of more runs than the default page was read as cut at no
 * page, so one cut at a page of 40 that said so was whole: the runs past it (the newest, oldest
 * first, a run in progress among them) were taken as not there (review verify-40, H-1). Only
 * ever makes a list maybe cut: a service may echo the `limit` it was sent and cut at 20.
 */
function fillsOwnPage(list: RunList): boolean {
  const said = list._page?.limit;
  return typeof said === 'number' && said > 0 && list.runs.length >= said;
}

/**
 * `listed`, a list that may be cut, marked as maybe lacking the newest runs (RunsListed), and as
 * from a service that does not page it by `start` where it is known not to. One that says it is
 * whole is left as it is: a whole list lacks no run.
 */
function withoutNewest(listed: RunsListed, startIgnored: boolean): RunsListed {
  if (listed.complete !== false) return listed;
  return withExtent([...listed], {
    complete: false,
    holdsNewest: false,
    ...(startIgnored ? { startIgnored: true as const } : {}),
    ...(listed.totalCount === undefined ? {} : { totalCount: listed.totalCount }),
  });
}

/** The list says how many runs there are. */
function isCounted(listed: RunsListed): listed is RunsListed & { totalCount: number } {
  return listed.totalCount !== undefined;
}

/**
 * The External Audiences API client, paths exactly as the reference page writes them.
 * See docs/configuration.md for tokens, budgets, timeouts, retries and errors.
 */
export function createAepClient(options: AepClientOptions = {}): AepHttpClient {
  const transport = createTransport(options);
  const { call, stats, clock } = transport;
  const compat = new Compat(options.compat, options.logger && componentLogger(options.logger, 'aep'));
  return {
    orgOf: (sandbox) => accessOrgOf(sandbox, options.sandboxes, options.defaultAccess),
    // `sourceSpec` in the known shape (else params, as the current page); the other once on a
    // 400 naming it, or naming nothing sent (refusesSourceShape). A 400 there too is reported
    // with the first refusal.
    createAudience: async (sandbox, body, callOptions) => {
      let refused: AepError | undefined;
      for (const shape of compat.sourceShapes(sandbox)) {
        const sent = withSourceShape(body, shape);
        try {
          const created = await call(
            sandbox,
            {
              endpoint: 'createAudience',
              method: 'POST',
              path: 'external-audience/',
              json: sent,
            },
            CreateResponse,
            callOptions,
          );
          compat.sourceShapeWorked(sandbox, shape);
          return created;
        } catch (error) {
          if (!(error instanceof AepError)) throw error;
          // Any other failure of the second try (a 5xx, a timeout: outcome unknown) is its own.
          if (refused) throw error.status === 400 ? refusedAtBothShapes(refused, error, shape) : error;
          if (!refusesSourceShape(error, shape, sent)) throw error;
          refused = error;
        }
      }
      throw refused ?? new Error('unreachable: no sourceSpec shape to try');
    },
    // The page spells the path two ways: the known one (else plural), then on a 404 the other.
    getOperation: async (sandbox, operationId, callOptions) => {
      const paths = compat.operationPaths();
      for (const [index, { spelling, path }] of paths.entries()) {
        try {
          const operation = await call(
            sandbox,
            {
              endpoint: 'getOperation',
              method: 'GET',
              path: `${path}/${pathSegment(operationId, 'operationId')}`,
            },
            Operation,
            callOptions,
          );
          compat.operationsPathWorked(spelling);
          return operation;
        } catch (error) {
          // A 404 that is not the service's (a proxy's page) is no reason to try the other path.
          if (index === paths.length - 1 || !isNotFoundAnswer(error)) throw error;
        }
      }
      throw new Error('unreachable: no operations path to try');
    },
    // A refusal naming no rule, of fields nobody compared, told by a PATCH without them
    // (fields-refusal.ts).
    patchAudience: async (sandbox, audienceId, body, callOptions) => {
      const { fieldsUncompared, ...rest } = callOptions ?? {};
      const send = (json: Record<string, unknown>) =>
        call(
          sandbox,
          {
            endpoint: 'patchAudience',
            method: 'PATCH',
            path: `external-audience/${pathSegment(audienceId, 'audienceId')}`,
            json,
          },
          AudienceView,
          rest,
        );
      return tellFieldsRefusal(compat, send, body, fieldsUncompared === true);
    },
    startRun: async (sandbox, audienceId, body, callOptions) => {
      const run = await call(
        sandbox,
        {
          endpoint: 'startRun',
          method: 'POST',
          path: `external-audience/${pathSegment(audienceId, 'audienceId')}/runs`,
          json: body,
        },
        Run,
        callOptions,
      );
      // Its createdAt is no reading of AEP's clock: the page also reads it as the audience's
      // creation time (docs/state.md). The answer's Date header is.
      return run;
    },
    getRun: async (sandbox, audienceId, runId, callOptions) =>
      call(
        sandbox,
        {
          endpoint: 'getRun',
          method: 'GET',
          path: `external-audience/${pathSegment(audienceId, 'audienceId')}/runs/${pathSegment(runId, 'runId')}`,
        },
        Run,
        callOptions,
      ),
    // limit/sortBy are commented out of the page: sent first only once the service has taken
    // them, else to sort a bare list that came cut short or may be (even when refused before:
    // the other reading is tried in the same call); the order is always made here.
    listRuns: async (sandbox, audienceId, callOptions) => {
      const path = `external-audience/${pathSegment(audienceId, 'audienceId')}/runs`;
      const bare = { endpoint: 'listRuns', method: 'GET', path } as const;
      const newestFirst = async (): Promise<RunList | AepError> => {
        try {
          const list = await call(
            sandbox,
            { ...bare, searchParams: { limit: RUNS_PAGE, sortBy: '-createdAt' } },
            RunList,
            callOptions,
          );
          compat.runsListParamsAccepted();
          return list;
        } catch (error) {
          // A 400 is answered with the bare list; any other failure is the call's.
          if (!(error instanceof AepError) || error.status !== 400) throw error;
          return error;
        }
      };
      // The service's refusal is learned only once the bare list answered (a 400 to both says
      // nothing about the parameters), and only from a 400 that names them.
      const learn = (refusal: AepError) => {
        if (refusesRunsListParams(refusal)) compat.runsListParamsRefused();
      };
      const sent = compat.runsListParams() ? await newestFirst() : undefined;
      if (sent !== undefined && !(sent instanceof AepError)) return listedRuns(sent, RUNS_PAGE);
      const answered = await call(sandbox, bare, RunList, callOptions);
      if (sent) learn(sent);
      const listed = listedRuns(answered);
      // A page that names a next one is not the last, however short.
      if (listed.complete && !namesNextPage(answered)) return listed;
      // Cut short, or a page long without `_page` (maybe cut at it), in no promised order: it
      // may lack the newest runs (a service that lists oldest first). Ask for those first,
      // unless this very call was just refused them.
      const sorted = sent ?? (await newestFirst());
      if (!(sorted instanceof AepError)) return listedRuns(sorted, RUNS_PAGE);
      if (!sent) learn(sorted);
      // A list the service pages, naming its next page: read to its end (runs-pages.ts).
      if (namesNextPage(answered)) {
        const whole = listedRuns(await followRunPages(transport, sandbox, path, answered, callOptions));
        if (whole.complete) return whole;
      } else {
        // One that names none may still be paged by `start`, as the platform's lists are,
        // counted or not: a counted page was read as cut at once, so a run past it (a person's)
        // was never seen for what it is (review runs-41, M-2). Read so, a counted list is
        // whole only when it holds as many runs as the service counted.
        const read = await readFromStart(transport, compat, sandbox, path, answered, callOptions);
        if (read !== undefined && (!isCounted(listed) || read.runs.length >= listed.totalCount))
          return listedRuns(read);
      }
      // Cut short by its own count: an error, carrying the page for a caller that can tell the
      // runs past it from its records (the run step).
      // What a person is told to do about it depends on it (apply/steps/run.ts, cutListBlock).
      const page = withoutNewest(listed, !namesNextPage(answered) && !compat.runsListStart());
      if (isCounted(page) && page.totalCount > page.length) throw new RunsListCutError(sandbox, page, sorted);
      // Only maybe cut: what it lists is so, but a run it lacks may be past its page.
      return page;
    },
    deleteAudience: deleteAudience(transport, compat),
    authenticate: (sandbox, callOptions) => transport.authenticate(sandbox, callOptions),
    ...audienceReads(transport, compat),
    stats,
    compat: () => compat.choices(),
    serviceClock: () => clock.serviceClock(),
    askedWait: (sandbox) => transport.askedWait(sandbox),
  };
}
