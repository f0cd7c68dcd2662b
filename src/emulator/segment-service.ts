import { z } from 'zod';
import type { ResolvedCompat } from './compat-settings.js';
import { notFound, validationError } from './errors.js';
import { isAudienceReady } from './lifecycle.js';
import type { AudienceRecord } from './model.js';
import type { Call } from './service-context.js';
import { segmentIdOf, segmentView, type SegmentAudience } from './segment-views.js';
import { parseOrThrow } from './validate.js';
import { compareText } from '../text/compare.js';

const Whole = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be from ${min} to ${max}`).max(max, `must be from ${min} to ${max}`));

const Repeatable = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((value) => (typeof value === 'string' ? [value] : (value ?? [])));

/** The page names no maximum page size; 1000 is the emulator's choice (docs/emulator.md). */
export const ListAudiencesQuery = z.object({
  start: Whole(0, 1_000_000).default(0),
  limit: Whole(1, 1000).default(20),
  sort: z
    .string()
    .regex(/^[A-Za-z_]+:(asc|desc)$/, 'must be attribute:asc or attribute:desc')
    .optional(),
  property: Repeatable,
  name: z.string().optional(),
  description: z.string().optional(),
});
type ListAudiencesQuery = z.output<typeof ListAudiencesQuery>;

export const BulkGetBody = z.strictObject({
  ids: z.array(z.strictObject({ id: z.string().min(1) })),
});

export type AudienceList = {
  children: SegmentAudience[];
  _page: { totalCount: number; pageSize: number; next?: string };
  _links: { next?: { href: string } };
};

/** An attribute as text for comparisons: scalars as written, anything else as JSON. */
function attributeText(view: SegmentAudience, attribute: string): string {
  const value: unknown = (view as Record<string, unknown>)[attribute];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return `${value}`;
  return value === undefined || value === null ? '' : JSON.stringify(value);
}

function ready(call: Call): AudienceRecord[] {
  return [...call.scope.audiences.values()].filter((audience) => isAudienceReady(audience, call.nowMs));
}

type PropertyFilter = { attribute: string; matches: (view: SegmentAudience) => boolean };

/** `attr==value`: an exact match on an attribute of the audience as this API shows it. */
function propertyFilter(expression: string): PropertyFilter {
  const match = /^([A-Za-z_]+)==(.*)$/.exec(expression);
  if (!match || match[2] === '') {
    throw validationError([{ path: 'property', message: `"${expression}": expected attribute==value` }]);
  }
  const attribute = match[1] ?? '';
  const value = match[2] ?? '';
  return { attribute, matches: (view) => attributeText(view, attribute) === value };
}

/**
 * "Without query parameters inactive audiences are left out; filtering with
 * property=audienceId==… returns them too": with `property`, any property filter returns
 * them; with `audienceId`, only a filter on audienceId, or one asking for a lifecycleState.
 */
function listsInactive(filters: readonly PropertyFilter[], reading: ResolvedCompat['listInactive']): boolean {
  if (reading === 'property') return filters.length > 0;
  return filters.some((filter) => filter.attribute === 'audienceId' || filter.attribute === 'lifecycleState');
}

function contains(text: string | undefined, part: string): boolean {
  return (text ?? '').toLowerCase().includes(part.toLowerCase());
}

function compareBy(attribute: string, direction: string): (a: SegmentAudience, b: SegmentAudience) => number {
  const sign = direction === 'desc' ? -1 : 1;
  return (a, b) => {
    const x = (a as Record<string, unknown>)[attribute];
    const y = (b as Record<string, unknown>)[attribute];
    if (typeof x === 'number' && typeof y === 'number') return (x - y) * sign;
    return compareText(attributeText(a, attribute), attributeText(b, attribute)) * sign;
  };
}

/**
 * The page's `_links.next.href` (`@/audiences?start=1&limit=2&totalCount=111`, `@/` standing for
 * /data/core/ups): with the request's filters and order, so that following it goes on with
 * the list asked for, not the whole sandbox's.
 */
function nextHref(query: ListAudiencesQuery, start: number, totalCount: number): string {
  const params = new URLSearchParams({
    start: String(start),
    limit: String(query.limit),
    totalCount: String(totalCount),
  });
  if (query.sort !== undefined) params.set('sort', query.sort);
  for (const property of query.property) params.append('property', property);
  if (query.name !== undefined) params.set('name', query.name);
  if (query.description !== undefined) params.set('description', query.description);
  return `@/audiences?${params.toString()}`;
}

export function listAudiences(
  call: Call,
  rawQuery: unknown,
  compat: Pick<
    ResolvedCompat,
    | 'listInactive'
    | 'lifecycleStateFilter'
    | 'creationTimeUnit'
    | 'audiencesTotalCount'
    | 'audiencesPaging'
    | 'audienceIds'
  >,
): AudienceList {
  const query = parseOrThrow(ListAudiencesQuery, rawQuery, 'query');
  const filters = query.property.map(propertyFilter);
  if (compat.lifecycleStateFilter === 'refused' && filters.some((f) => f.attribute === 'lifecycleState')) {
    throw validationError([
      {
        path: 'property',
        message: 'lifecycleState is not a filterable attribute (lifecycleStateFilter: refused)',
      },
    ]);
  }
  const inactive = compat.listInactive;
  let views = ready(call)
    .map((audience) => segmentView(audience, compat.creationTimeUnit, compat.audienceIds))
    .filter((view) => filters.every((filter) => filter.matches(view)));
  if (!listsInactive(filters, inactive)) views = views.filter((view) => view.lifecycleState !== 'inactive');
  if (query.name !== undefined) views = views.filter((view) => contains(view.name, query.name ?? ''));
  if (query.description !== undefined)
    views = views.filter((view) => contains(view.description, query.description ?? ''));
  if (query.sort) {
    const [attribute = '', direction = 'asc'] = query.sort.split(':');
    views.sort(compareBy(attribute, direction));
  }
  // `page`: `start` is the page's index, as the page's sample reads (`next: "1"`, `start=1&limit=2`).
  const byPage = compat.audiencesPaging === 'page';
  const from = byPage ? query.start * query.limit : query.start;
  const page = views.slice(from, from + query.limit);
  const more = from + page.length < views.length;
  const nextStart = byPage ? query.start + 1 : from + page.length;
  // `sandbox`: the count of every audience of the sandbox, whatever the query asked.
  const totalCount = compat.audiencesTotalCount === 'sandbox' ? ready(call).length : views.length;
  return {
    children: page,
    _page: { totalCount, pageSize: page.length, ...(more ? { next: String(nextStart) } : {}) },
    _links: more ? { next: { href: nextHref(query, nextStart, totalCount) } } : {},
  };
}

/**
 * The audience the Audiences API shows under `id`. With `audienceIds: distinct` its ids are not
 * the store's keys: the sandbox's audiences are looked through (that reading only; the default
 * costs one map access).
 */
function bySegmentId(call: Call, id: string, ids: ResolvedCompat['audienceIds']): AudienceRecord | undefined {
  if (ids === 'same') return call.scope.audiences.get(id);
  for (const audience of call.scope.audiences.values()) {
    if (segmentIdOf(audience.audienceId, ids) === id) return audience;
  }
  return undefined;
}

export function getAudience(
  call: Call,
  id: string,
  compat: Pick<ResolvedCompat, 'creationTimeUnit' | 'audienceIds'>,
): SegmentAudience {
  const audience = bySegmentId(call, id, compat.audienceIds);
  if (!audience || !isAudienceReady(audience, call.nowMs)) throw notFound('audience', id);
  return segmentView(audience, compat.creationTimeUnit, compat.audienceIds);
}

/** A bulk-get entry for an id not found, with `bulkGetMissing: status`, as the page describes one. */
export type MissingEntry = { status: 404 };

/**
 * 207 with the audiences found, keyed by id; ids not found are left out, as the page's sample
 * (with `bulkGetMissing: status`, each has a `{ "status": 404 }` entry instead; with
 * `absentFields: null`, a `null` one, as a map of the ids asked writes what it did not find),
 * and inactive audiences are left out with `bulkGetInactive: omitted`, as an unknown id's key
 * would be.
 */
export function bulkGetAudiences(
  call: Call,
  input: unknown,
  compat: Pick<
    ResolvedCompat,
    'bulkGetInactive' | 'creationTimeUnit' | 'bulkGetMissing' | 'absentFields' | 'audienceIds'
  >,
): { results: Record<string, SegmentAudience | MissingEntry | null> } {
  const body = parseOrThrow(BulkGetBody, input, 'body');
  const results: Record<string, SegmentAudience | MissingEntry | null> = {};
  for (const { id } of body.ids) {
    const audience = bySegmentId(call, id, compat.audienceIds);
    if (!audience || !isAudienceReady(audience, call.nowMs)) {
      if (compat.bulkGetMissing === 'status') results[id] = { status: 404 };
      else if (compat.absentFields === 'null') results[id] = null;
      continue;
    }
    if (compat.bulkGetInactive === 'omitted' && audience.lifecycleState === 'inactive') continue;
    results[id] = segmentView(audience, compat.creationTimeUnit, compat.audienceIds);
  }
  return { results };
}
