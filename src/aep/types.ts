import { z } from 'zod';
import { redactText } from '../text/secrets.js';
import type { AudienceSpec } from '../manifest/schema.js';
import type { ImsOrg } from './credentials.js';
import { asEpochSeconds } from './epoch.js';
import { nullAsAbsent } from './null-absent.js';
import { AnsweredTtl } from './answered-ttl.js';
import { AnsweredStatus } from './answered-status.js';
import type { AskedWait } from './asked-waits.js';
import type { ClockReading } from './service-clock.js';
import type { AudienceListPage, AudienceQuery, LiveAudience } from './segment-types.js';
import type { AisAudience } from './audience-ids.js';

// Responses are read loosely (only what audiencectl uses) and checked where they enter,
// so no raw body leaves src/aep/. Unknown properties are kept for the recorded state.

/**
 * The service's own words about a failure, kept in the state and shown by plans, apply and
 * /status: scrubbed as an error body is (such a text may quote the request it failed).
 * Another type is kept as it is; the readers use a string only.
 */
const FailureReason = z
  .unknown()
  .transform((value) => (typeof value === 'string' ? redactText(value) : value));

export const CreateResponse = z.looseObject({
  operationId: z.string().min(1),
  operationDetails: nullAsAbsent(z.record(z.string(), z.unknown())),
});
export type CreateResponse = z.infer<typeof CreateResponse>;

export const Operation = z
  .looseObject({
    operationId: z.string().min(1),
    /** SUCCESS, FAILED (in any case: read in upper case) or PROCESSING (anything else: still in progress). */
    status: AnsweredStatus,
    /** Always there once the status is SUCCESS. */
    audienceId: nullAsAbsent(z.string()),
    operationDetails: nullAsAbsent(z.record(z.string(), z.unknown())),
    failureReason: nullAsAbsent(FailureReason),
    createdAt: nullAsAbsent(z.number()),
    updatedAt: nullAsAbsent(z.number()),
  })
  // A success that does not say which audience it made is no answer: read as a failed create,
  // it dropped the record of an audience that exists.
  .refine((operation) => operation.status !== 'SUCCESS' || (operation.audienceId ?? '') !== '', {
    path: ['audienceId'],
    message: 'missing from a SUCCESS operation',
  });
export type Operation = z.infer<typeof Operation>;

/** The audience as PATCH returns it. */
export const AudienceView = z.looseObject({
  audienceId: z.string().min(1),
  audienceName: nullAsAbsent(z.string()),
  description: nullAsAbsent(z.string()),
  /** A number, or (as the page's create sample sends it) a string of one. */
  ttlInDays: nullAsAbsent(AnsweredTtl),
  labels: nullAsAbsent(z.array(z.string())),
});
export type AudienceView = z.infer<typeof AudienceView>;

/** A run time as epoch seconds, whichever unit the service answered it in (epoch.ts). */
const RunTime = z.number().transform(asEpochSeconds);

export const Run = z.looseObject({
  runId: z.string().min(1),
  audienceId: nullAsAbsent(z.string()),
  /**
   * Absent in the start response: the run has just begun. Only SUCCESS and FAILED (in any case:
   * read in upper case) are final.
   */
  status: nullAsAbsent(AnsweredStatus),
  differentialIngestion: nullAsAbsent(z.boolean()),
  dataFilterStartTime: nullAsAbsent(RunTime),
  dataFilterEndTime: nullAsAbsent(RunTime),
  createdAt: nullAsAbsent(RunTime),
  failureReason: nullAsAbsent(FailureReason),
});
export type Run = z.infer<typeof Run>;

type Issues = { issues: z.core.$ZodRawIssue[] };

/** `problems` told as the issues of `runs`, under `path` there. */
function tell(context: Issues, problems: z.core.$ZodIssue[], path: PropertyKey[], input: unknown): void {
  for (const issue of problems)
    context.issues.push({ code: 'custom', message: issue.message, path: [...path, ...issue.path], input });
}

/**
 * The runs list's `runs` as its property table types it, an Object: the runs keyed by their
 * runId (the emulator's `runsListShape: object`). An entry without a runId takes its key; one
 * whose runId is another, or that is no run, is no list to read (the call fails, naming it).
 * The order is the keys', which a JSON object does not promise: listRuns sorts it (client.ts).
 */
function keyedRuns(keyed: object, context: Issues): Run[] {
  const runs: Run[] = [];
  for (const [key, entry] of Object.entries(keyed)) {
    const unnamed =
      typeof entry === 'object' &&
      entry !== null &&
      !Array.isArray(entry) &&
      (entry as { runId?: unknown }).runId == null;
    const parsed = Run.safeParse(unnamed ? { ...(entry as object), runId: key } : entry);
    if (!parsed.success) tell(context, parsed.error.issues, [key], entry);
    else if (parsed.data.runId !== key)
      tell(
        context,
        [
          {
            code: 'custom',
            message: `is ${JSON.stringify(parsed.data.runId)}, not its key`,
            path: [],
            input: entry,
          },
        ],
        [key, 'runId'],
        entry,
      );
    else runs.push(parsed.data);
  }
  return runs;
}

const RunArray = z.array(Run);

/**
 * `runs`: an array, as the page's sample shows, or an object keyed by runId, as its property
 * table types it ("Object"); read as the runs either way, on every call (there is no request to
 * choose: the one GET is answered in the service's shape). Anything else fails the call.
 */
const Runs = z.unknown().transform((runs, context): Run[] => {
  if (Array.isArray(runs)) {
    const parsed = RunArray.safeParse(runs);
    if (parsed.success) return parsed.data;
    tell(context, parsed.error.issues, [], runs);
    return z.NEVER;
  }
  if (typeof runs === 'object' && runs !== null) return keyedRuns(runs, context);
  if (runs === null) return refuse(context, 'null');
  return refuse(context, runs === undefined ? 'nothing' : typeof runs);
});

function refuse(context: Issues, received: string): never {
  const message = `expected an array of runs, or an object of runs keyed by runId, received ${received}`;
  context.issues.push({ code: 'custom', message, input: received });
  return z.NEVER;
}

export const RunList = z.looseObject({
  runs: Runs,
  /**
   * Commented out of the page; when there, `totalCount` above the runs listed says the list is
   * cut. `next` (and `_links.next.href`): the next page, as the platform's other lists name it
   * (runs-pages.ts); read as given, whatever its type.
   */
  _page: z
    .looseObject({
      totalCount: nullAsAbsent(z.number()),
      next: z.unknown().optional(),
      /** The page it was cut at, read only as a number (client.ts, fillsOwnPage). */
      limit: z.unknown().optional(),
    })
    .nullish(),
  _links: z.unknown().optional(),
});
export type RunList = z.infer<typeof RunList>;

/**
 * The runs of an audience as listRuns answers them, newest first, and what the answer shows of
 * the runs it may not hold (RunsExtent). Read only as the runs it lists where nothing tells.
 */
export type RunsListed = Run[] & RunsExtent;

/**
 * One shape per kind of list (../shared/design/STYLE.md, "One type per kind"), told apart by
 * `complete` and `holdsNewest`: four optional fields let a list be marked as lacking the newest
 * runs while whole, or as from a service that ignores `start` while sorted newest first.
 * `totalCount`, on any kind: how many runs the service counts for the audience
 * (`_page.totalCount`), where said.
 */
export type RunsExtent =
  /** Nothing tells whether it is whole (clients other than the HTTP one). */
  | { complete?: undefined; holdsNewest?: undefined; startIgnored?: undefined; totalCount?: number }
  /** It shows it holds every run of the audience: its count, or fewer runs than its page. */
  | { complete: true; holdsNewest?: undefined; startIgnored?: undefined; totalCount?: number }
  /** It may be cut, listed newest first: a run it lacks is older than every run it lists. */
  | { complete: false; holdsNewest?: undefined; startIgnored?: undefined; totalCount?: number }
  /**
   * It may be cut, in the service's own order (it refused `limit`/`sortBy`): its runs are the
   * service's, but one it lacks may be past its page (an oldest-first page lacks the newest), so
   * it proves no run absent. `startIgnored`: from a service known not to page the list by
   * `start` (it answered the page after it with the same runs, or refused it): nothing more can
   * be read of it.
   */
  | { complete: false; holdsNewest: false; startIgnored?: true; totalCount?: number };

export type RunBody = { dataFilterStartTime: number; dataFilterEndTime?: number };
export type CallOptions = {
  signal?: AbortSignal;
  /**
   * One HTTP attempt, no retry (the token renewal's one retry aside): for a reading that may
   * fail, such as AEP's clock before creates, which must not hold them back. Default false.
   */
  once?: boolean;
};

export type PatchOptions = CallOptions & {
  /**
   * The fields it lists were never compared with the audience's (an imported, discovered or
   * adopted audience's first PATCH): a refusal that names no rule is told apart as a refusal of
   * them (AepFieldsRefusedError, fields-refusal.ts). Default false.
   */
  fieldsUncompared?: boolean;
};

/**
 * The External Audiences API as audiencectl uses it. Every method sends the four
 * headers for `sandbox`, checks the response with the schemas above, and throws an
 * AepError (src/aep/errors.ts) on failure. Calls that are safe to repeat (GET, PATCH,
 * DELETE, and anything refused with 429) are retried; a POST whose outcome is unknown
 * is not: the executor resolves it from its intent record.
 */
export interface AepClient extends AudienceReads {
  /** The org the calls for `sandbox` go to; undefined when no credentials reach it. Makes no call. */
  orgOf(sandbox: string): ImsOrg | undefined;
  createAudience(sandbox: string, body: AudienceSpec, options?: CallOptions): Promise<CreateResponse>;
  getOperation(sandbox: string, operationId: string, options?: CallOptions): Promise<Operation>;
  patchAudience(
    sandbox: string,
    audienceId: string,
    body: Record<string, unknown>,
    options?: PatchOptions,
  ): Promise<AudienceView>;
  startRun(sandbox: string, audienceId: string, body: RunBody, options?: CallOptions): Promise<Run>;
  getRun(sandbox: string, audienceId: string, runId: string, options?: CallOptions): Promise<Run>;
  /** Most recent first. */
  listRuns(sandbox: string, audienceId: string, options?: CallOptions): Promise<RunsListed>;
  deleteAudience(sandbox: string, audienceId: string, options?: CallOptions): Promise<void>;
  /**
   * The token of `sandbox`'s client, asked of IMS unless one is cached (a refusal is remembered
   * for a while too): an AepAuthError when IMS refuses it or cannot be reached. No call to AEP.
   */
  authenticate(sandbox: string, options?: CallOptions): Promise<void>;
  /** AEP's clock as the client's answers showed it; undefined before any answer (or in fakes). */
  serviceClock?(): ClockReading | undefined;
  /**
   * The wait the service last asked of `sandbox`'s IMS org (in any of its sandboxes: AEP
   * throttles the org) and a call gave up on (a 429 or 5xx whose Retry-After is longer than
   * retry.maxRetryAfterMs), while it lasts; undefined when none is
   * left (or in fakes). Makes no call: the controller schedules the retry not before its end.
   */
  askedWait?(sandbox: string): AskedWait | undefined;
}

/** The Audiences API calls; through the same transport, so the same token, budget and retries. */
export type AudienceReads = {
  listAudiences(sandbox: string, query?: AudienceQuery, options?: CallOptions): Promise<AudienceListPage>;
  /** undefined when the service has no such id. */
  getAudience(sandbox: string, id: string, options?: CallOptions): Promise<LiveAudience | undefined>;
  /**
   * Every id asked for, mapped to its audience or to undefined (not found), read in batches of
   * `batchSize` (default 50). A failed batch fails the call: nothing is read as "gone" by mistake.
   */
  bulkGetAudiences(
    sandbox: string,
    ids: readonly string[],
    options?: CallOptions & { batchSize?: number },
  ): Promise<Map<string, LiveAudience | undefined>>;
  /**
   * Audiences whose name is exactly `name` (case as the service compares: exact here). These
   * lookups give each external audience under the id /core/ais knows it by (audience-ids.ts).
   */
  findAudiencesByName(sandbox: string, name: string, options?: CallOptions): Promise<AisAudience[]>;
  /**
   * Audiences whose name contains `part`, any case (the Audiences API's `name` parameter),
   * every page: where look-alikes of a name are looked for (plan/name-alike.ts).
   */
  findAudiencesNameContains(sandbox: string, part: string, options?: CallOptions): Promise<AisAudience[]>;
  /**
   * The list filtered with `property=lifecycleState==inactive`, every page: the page leaves
   * inactive audiences out of a bare list, and may be read as leaving them out of other
   * filtered lists (`name==`) too. A service that ignores the filter answers active ones as
   * well: callers match what they need by id or name, never read "inactive" from it.
   */
  listInactiveAudiences(sandbox: string, options?: CallOptions): Promise<AisAudience[]>;
};
