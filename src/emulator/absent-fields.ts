import type { ResolvedCompat } from './compat-settings.js';
import type { MissingEntry } from './segment-service.js';
import type { SegmentAudience } from './segment-views.js';
import { detailsTyped, ttlTyped } from './ttl-type.js';
import type { EmulatorAudience, EmulatorOperation, EmulatorRun, EmulatorRunSummary } from './views.js';

/**
 * The `absentFields` reading of the page (compat-settings.ts): its samples never show a
 * property that is not set, so a service may leave one out (the views' `compact`) or, as JSON
 * writers that keep unset properties do, write it as `null`. With `null`, each answer carries
 * every property its sample (or property table) on the page shows, the unset ones `null`.
 * The answers that show `ttlInDays` also take the `ttlInDaysType` reading here (ttl-type.ts).
 */
type Reading = Pick<ResolvedCompat, 'absentFields' | 'ttlInDaysType'>;
/** The runs list also takes the `runsListShape` reading (compat-settings.ts). */
type ListReading = Reading & Pick<ResolvedCompat, 'runsListShape'>;

/** The properties each answer shows, set or not. */
const OPERATION: readonly (keyof EmulatorOperation)[] = [
  'operationId',
  'status',
  'operationDetails',
  'audienceName',
  'audienceId',
  'failureReason',
  'createdBy',
  'createdAt',
  'updatedBy',
  'updatedAt',
];
const AUDIENCE: readonly (keyof EmulatorAudience)[] = [
  'audienceId',
  'audienceName',
  'description',
  'fields',
  'sourceSpec',
  'ttlInDays',
  'labels',
  'audienceType',
  'originName',
  'customAudienceId',
  'namespace',
  'tags',
  'createdBy',
  'createdAt',
  'updatedBy',
  'updatedAt',
];
const FIELD = ['name', 'type', 'identityNs', 'labels'] as const;
const RUN: readonly (keyof EmulatorRunSummary)[] = [
  'audienceName',
  'audienceId',
  'runId',
  'status',
  'differentialIngestion',
  'dataFilterStartTime',
  'dataFilterEndTime',
  'createdAt',
  'createdBy',
  'failureReason',
];
const SEGMENT_AUDIENCE: readonly (keyof SegmentAudience)[] = [
  'id',
  'audienceId',
  'name',
  'description',
  'type',
  'originName',
  'namespace',
  'labels',
  'ttlInDays',
  'lifecycleState',
  'sandbox',
  'imsOrgId',
  'createdBy',
  'createEpoch',
  'updateEpoch',
  'creationTime',
  'updateTime',
  '_etag',
];

/** `view` with each of `keys` it lacks as `null`. */
function withNulls(view: object, keys: readonly string[]): Record<string, unknown> {
  const answer: Record<string, unknown> = { ...view };
  for (const key of keys) answer[key] ??= null;
  return answer;
}

export function operationAnswer(view: EmulatorOperation, reading: Reading): object {
  const typed = detailsTyped(view, reading);
  return reading.absentFields === 'null' ? withNulls(typed, OPERATION) : typed;
}

/** The PATCH (and extend-ttl) answer; its fields too. */
export function audienceAnswer(view: EmulatorAudience, reading: Reading): object {
  const typed = ttlTyped(view, reading);
  if (reading.absentFields !== 'null') return typed;
  return { ...withNulls(typed, AUDIENCE), fields: view.fields.map((field) => withNulls(field, FIELD)) };
}

export function runAnswer(view: EmulatorRun | EmulatorRunSummary, reading: Reading): object {
  return reading.absentFields === 'null' ? withNulls(view, RUN) : view;
}

/** A runs list: each run, and a `_page` without its next page; `runs` keyed by runId with `runsListShape: object`. */
export function runListAnswer(
  list: { runs: EmulatorRunSummary[]; _page?: object },
  reading: ListReading,
): object {
  const nulls = reading.absentFields === 'null';
  const page = list._page === undefined || !nulls ? {} : { _page: withNulls(list._page, ['next']) };
  const runs = nulls ? list.runs.map((run) => withNulls(run, RUN)) : list.runs;
  const shaped =
    reading.runsListShape === 'object'
      ? Object.fromEntries(list.runs.map((run, i) => [run.runId, runs[i]]))
      : runs;
  return { ...list, ...page, runs: shaped };
}

export function segmentAnswer(view: SegmentAudience, reading: Reading): object {
  const typed = ttlTyped(view, reading);
  return reading.absentFields === 'null' ? withNulls(typed, SEGMENT_AUDIENCE) : typed;
}

/** An Audiences API list: each audience, and the last page's `_page.next` and `_links.next`. */
export function segmentListAnswer(
  list: { children: SegmentAudience[]; _page: object; _links: object },
  reading: Reading,
): object {
  const children = list.children.map((view) => ttlTyped(view, reading));
  if (reading.absentFields !== 'null') return { ...list, children };
  return {
    children: children.map((view) => withNulls(view, SEGMENT_AUDIENCE)),
    _page: withNulls(list._page, ['next']),
    _links: withNulls(list._links, ['next']),
  };
}

/** A bulk-get answer: each audience (an unknown id's entry is segment-service.ts's). */
export function bulkGetAnswer(
  answer: { results: Record<string, SegmentAudience | MissingEntry | null> },
  reading: Reading,
): object {
  const results: Record<string, unknown> = {};
  for (const [id, entry] of Object.entries(answer.results)) {
    if (entry === null || 'status' in entry) results[id] = entry;
    else results[id] = segmentAnswer(entry, reading);
  }
  return { results };
}
