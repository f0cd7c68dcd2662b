import { z } from 'zod';

/**
 * Where the reference page allows two readings, the emulator can take either, so a client's
 * tolerance is tested against a service that behaves the other way (docs/emulator.md,
 * "Readings of the page"). Defaults accept what the page shows anywhere.
 */
export const CompatInput = z.strictObject({
  /** `plural` /external-audiences/operations (the API format line), `singular` /external-audience/operations (the curl sample), or `both`. Default both. */
  operationsPath: z.enum(['plural', 'singular', 'both']).optional(),
  /** `params` (the current page's samples), `flat` (the old draft, the PATCH answer), or `both`. Default both. */
  sourceSpec: z.enum(['params', 'flat', 'both']).optional(),
  /** The runs list's `limit`/`sortBy`/`property`, commented out of the page: `accepted` or `refused` (400). Default accepted. */
  runsListParams: z.enum(['accepted', 'refused']).optional(),
  /** `lenient`: a PATCHed field may repeat its unchanged type and namespace; `labels-only`: only `name` and `labels`. Default lenient. */
  patchFields: z.enum(['lenient', 'labels-only']).optional(),
  /** A rule the page does not state: `refused` answers 400 to a run time in milliseconds. Default accepted. */
  millisecondTimestamps: z.enum(['accepted', 'refused']).optional(),
  /** `_page` on the runs list, commented out of the page's sample: `included` or `omitted`. Default included. */
  runsListPage: z.enum(['included', 'omitted']).optional(),
  /**
   * The bare runs list of `runsListParams: refused`: `whole` (every run), or `page`, cut at the
   * page's commented-out default `limit` of 20 as it comes, oldest first (the newest runs past
   * it), or `paged`: served 20 at a time, oldest first, each page counting the runs
   * (`_page.totalCount`) and linking the next (`_links.next.href`, `?start=N`), as the
   * platform's other lists page, or `offset`: served so from `start`, naming no next page (the
   * `start` the platform's other lists page by, and no link). Default whole.
   */
  runsListCut: z.enum(['whole', 'page', 'paged', 'offset']).optional(),
  /** `bare` DELETE /external-audience/{id} (the API format line), `slash` .../{id}/ (the curl sample), or `both`. Default both. */
  deletePath: z.enum(['bare', 'slash', 'both']).optional(),
  /**
   * The unit of the run times the service answers (a run's `createdAt`, and the `dataFilterEndTime`
   * it fills in): `seconds` as the property tables say, or `milliseconds` as the commented-out
   * runs-list filter example compares `createdAt`. Default seconds.
   */
  runTimeUnit: z.enum(['seconds', 'milliseconds']).optional(),
  /**
   * What a run's `createdAt` (start answer, lookup, list) is. The property tables: "when the
   * request to create the external audience was submitted", and the run-status sample gives
   * the run the audience's creation time (the operation sample's); the list sample gives two
   * runs different times. `run`: the run's own time; `audience`: the audience's creation time,
   * the same for all its runs (the list sorts and filters on it, ties in the order runs were
   * started, oldest first). Default run.
   */
  runCreatedAt: z.enum(['run', 'audience']).optional(),
  /**
   * Inactive audiences in a bulk-get answer (Audiences API): the page leaves them out of a list
   * without query parameters and says nothing of bulk-get. `included` or `omitted` (their keys
   * missing, as an unknown id's). Default included.
   */
  bulkGetInactive: z.enum(['included', 'omitted']).optional(),
  /**
   * Which audience lists hold inactive audiences (Audiences API). The page: "Without query
   * parameters inactive audiences are left out; filtering with `property=audienceId==…` returns
   * them too". `property`: any `property` filter returns them; `audienceId`: only a filter on
   * `audienceId` (the page's example) or on `lifecycleState` itself does, and every other list
   * (`property=name==…` included) leaves them out. Default property.
   */
  listInactive: z.enum(['property', 'audienceId']).optional(),
  /**
   * When a deleted audience's name may be created again. The page answers a DELETE with 204
   * and refuses a second audience of a name (100950-409, "The audience already exists"), but
   * never says when a deleted audience's name is free. `freed`: at once; `held`: for
   * DELETED_NAME_HOLD_MS of the service's clock, during which a create of it is 409 although
   * the audience is gone from every read. Default freed.
   */
  deletedNames: z.enum(['freed', 'held']).optional(),
  /**
   * A second audience of a name. The appendix lists 100950-409 "The audience already exists"
   * without saying what makes one the same: its name, or its id. `refused`: a create of a name
   * an audience bears is 409; `accepted`: it makes another audience of that name, as the UI's
   * duplicates (uiCreateAudience's `duplicateName`). Default refused.
   */
  duplicateNames: z.enum(['refused', 'accepted']).optional(),
  /**
   * A filter on `lifecycleState` (Audiences API list): the page's example filters on
   * `audienceId` and names no other attribute. `accepted`, or `refused`: any
   * `property=lifecycleState==…` is a 400, every time. Default accepted.
   */
  lifecycleStateFilter: z.enum(['accepted', 'refused']).optional(),
  /**
   * The unit of an audience's `creationTime` and `updateTime` (Audiences API): milliseconds as
   * its property table says, or microseconds as one of its samples shows ("read defensively").
   * `createEpoch`/`updateEpoch` stay seconds. Default milliseconds.
   */
  creationTimeUnit: z.enum(['milliseconds', 'microseconds']).optional(),
  /**
   * An id a bulk-get (Audiences API) does not know: the page "shows only found audiences; read a
   * missing key, or an entry that carries a status of 404 instead of an audience, as not found".
   * `omitted`: its key left out; `status`: `{ "status": 404 }` under it. Default omitted.
   */
  bulkGetMissing: z.enum(['omitted', 'status']).optional(),
  /**
   * A property that is not set: the page's samples never show one, so a service may leave it
   * out or write it as `null`, as JSON writers that keep unset properties do. `omitted`: left
   * out; `null`: every property of the answer's sample on the page is there, unset ones `null`
   * (`"audienceId": null` on an operation still PROCESSING), and a bulk-get's unknown id is a
   * `null` entry (unless `bulkGetMissing: status`). Default omitted.
   */
  absentFields: z.enum(['omitted', 'null']).optional(),
  /**
   * What an API error says: the page's appendix gives each code one text and shows no error
   * body. `named`: the broken rule (`Invalid request: sourceSpec.params: ...`) and the list of
   * them in `report.errors`; `appendix`: the appendix's text for the code and no list, naming no
   * property. Default named.
   */
  errorDetail: z.enum(['named', 'appendix']).optional(),
  /**
   * What an Audiences API list's `_page.totalCount` counts: the page's sample counts a bare
   * list, and says nothing of a filtered one. `listed`: the audiences the list holds; `sandbox`:
   * every audience of the sandbox (active or not), whatever the query. Default listed.
   */
  audiencesTotalCount: z.enum(['listed', 'sandbox']).optional(),
  /**
   * What an Audiences API list's `start` is. The page's paging sample answers `_page.next: "1"`
   * beside `@/audiences?start=1&limit=2`: with two audiences a page, a page index. `offset`: the
   * first audience's position; `page`: the page's index (`start * limit` the first audience's
   * position), the next page named by its index. Default offset.
   */
  audiencesPaging: z.enum(['offset', 'page']).optional(),
  /**
   * Which id the Audiences API shows an external audience under. The notes on its page: `id` is
   * system-generated and, for an audience made through /core/ais, the `audienceId` its operation
   * returned (the samples of both pages show the same uuid); `audienceId` is the client's own
   * identifier, and a client should "match on `id` first, and accept a match on `audienceId`".
   * `same`: `id` is the /core/ais audienceId, `audienceId` its `customAudienceId` (or the id);
   * `distinct`: `id` is an id of the Audiences API's own, and `audienceId` the /core/ais one, so
   * `GET /audiences/{audienceId}` is a 404 and bulk-get leaves it out, while
   * `property=audienceId==…` finds it. Default same.
   */
  audienceIds: z.enum(['same', 'distinct']).optional(),
  /**
   * How a run start is refused while the audience's run is in progress. The page says only
   * that a new ingestion cannot be started then, and its appendix has two codes that fit:
   * `422` (100960-422, "cannot be processed due to logical or semantic errors") and `409`
   * (100950-409, its only conflict). Default 422.
   */
  runInProgress: z.enum(['422', '409']).optional(),
  /**
   * The type `ttlInDays` is answered in. The property tables say Integer (and so do the answer
   * samples), but the create request sample sends `"ttlInDays": "40"`, a string. `integer`;
   * `string`: as the request sample writes it, in every answer that shows it (the create answer's
   * and operation's `operationDetails`, the PATCH and extend-ttl answers, the Audiences API's
   * audience, lists and bulk-get). Both are taken in requests. Default integer.
   */
  ttlInDaysType: z.enum(['integer', 'string']).optional(),
  /**
   * The shape of the runs list's `runs`. Its property table types it Object ("an object that
   * contains the list of ingestion runs", each one as the run-status section shows it), where
   * its sample answers an array, as the table says of `details` ("Array of objects"). `array`;
   * `object`: the runs keyed by their `runId`, each the run itself, as the platform's keyed
   * answers are (the Audiences API's bulk-get `results`), in the list's order, on every page.
   * Default array.
   */
  runsListShape: z.enum(['array', 'object']).optional(),
  /**
   * How a run still in progress is answered. The page's run status "Possible statuses include
   * `SUCCESS` and `FAILED`" names no word for it (the operation's table says `PROCESSING`).
   * `processing`: the operation's word, for the run and each stage not finished; `queued`:
   * words the page never shows, `QUEUED` until the run's first stage has ended, then
   * `IN_PROGRESS` (and `IN_PROGRESS` for a stage not finished), as the status filter compares
   * them. Default processing.
   */
  runProgressStatus: z.enum(['processing', 'queued']).optional(),
  /**
   * The HTTP status of a create's and a run start's success. The page answers a create 202
   * ("returns HTTP status 202") and a run start 200; its older draft answered the create (then
   * `submit`) 200, and a POST that makes something is 201 by HTTP's own words. `page`: 202 and
   * 200; `200`, `201` or `202`: both answered so, with the same body. Default page.
   */
  postStatus: z.enum(['page', '200', '201', '202']).optional(),
});
export type CompatSettings = z.infer<typeof CompatInput>;
export type ResolvedCompat = { [K in keyof CompatSettings]-?: NonNullable<CompatSettings[K]> };

export const DEFAULT_COMPAT: ResolvedCompat = {
  operationsPath: 'both',
  sourceSpec: 'both',
  runsListParams: 'accepted',
  patchFields: 'lenient',
  millisecondTimestamps: 'accepted',
  runsListPage: 'included',
  runsListCut: 'whole',
  deletePath: 'both',
  runTimeUnit: 'seconds',
  runCreatedAt: 'run',
  bulkGetInactive: 'included',
  listInactive: 'property',
  deletedNames: 'freed',
  duplicateNames: 'refused',
  lifecycleStateFilter: 'accepted',
  creationTimeUnit: 'milliseconds',
  bulkGetMissing: 'omitted',
  absentFields: 'omitted',
  errorDetail: 'named',
  audiencesTotalCount: 'listed',
  audiencesPaging: 'offset',
  audienceIds: 'same',
  runInProgress: '422',
  ttlInDaysType: 'integer',
  runsListShape: 'array',
  runProgressStatus: 'processing',
  postStatus: 'page',
};

/** Unset keys keep `base`'s value. */
export function resolveCompat(
  compat: CompatSettings | undefined,
  base: ResolvedCompat = DEFAULT_COMPAT,
): ResolvedCompat {
  return {
    operationsPath: compat?.operationsPath ?? base.operationsPath,
    sourceSpec: compat?.sourceSpec ?? base.sourceSpec,
    runsListParams: compat?.runsListParams ?? base.runsListParams,
    patchFields: compat?.patchFields ?? base.patchFields,
    millisecondTimestamps: compat?.millisecondTimestamps ?? base.millisecondTimestamps,
    runsListPage: compat?.runsListPage ?? base.runsListPage,
    runsListCut: compat?.runsListCut ?? base.runsListCut,
    deletePath: compat?.deletePath ?? base.deletePath,
    runTimeUnit: compat?.runTimeUnit ?? base.runTimeUnit,
    runCreatedAt: compat?.runCreatedAt ?? base.runCreatedAt,
    bulkGetInactive: compat?.bulkGetInactive ?? base.bulkGetInactive,
    listInactive: compat?.listInactive ?? base.listInactive,
    deletedNames: compat?.deletedNames ?? base.deletedNames,
    duplicateNames: compat?.duplicateNames ?? base.duplicateNames,
    lifecycleStateFilter: compat?.lifecycleStateFilter ?? base.lifecycleStateFilter,
    creationTimeUnit: compat?.creationTimeUnit ?? base.creationTimeUnit,
    bulkGetMissing: compat?.bulkGetMissing ?? base.bulkGetMissing,
    absentFields: compat?.absentFields ?? base.absentFields,
    errorDetail: compat?.errorDetail ?? base.errorDetail,
    audiencesTotalCount: compat?.audiencesTotalCount ?? base.audiencesTotalCount,
    audiencesPaging: compat?.audiencesPaging ?? base.audiencesPaging,
    audienceIds: compat?.audienceIds ?? base.audienceIds,
    runInProgress: compat?.runInProgress ?? base.runInProgress,
    ttlInDaysType: compat?.ttlInDaysType ?? base.ttlInDaysType,
    runsListShape: compat?.runsListShape ?? base.runsListShape,
    runProgressStatus: compat?.runProgressStatus ?? base.runProgressStatus,
    postStatus: compat?.postStatus ?? base.postStatus,
  };
}
