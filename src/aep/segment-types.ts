import { z } from 'zod';
import { AnsweredTtl } from './answered-ttl.js';
import { nullAsAbsent } from './null-absent.js';

/**
 * The Audiences API (`/data/core/ups/audiences`), read loosely: only what audiencectl uses,
 * nulls read as absent, unknown properties kept. See ../shared/reference/audiences-api.md.
 */
const Text = z
  .string()
  .nullish()
  .transform((value) => value ?? undefined);
const Number_ = z
  .number()
  .nullish()
  .transform((value) => value ?? undefined);

export const LiveAudience = z.looseObject({
  /** The key of GET /audiences/{id}; for an audience made through /core/ais, its audienceId there. */
  id: z.string().min(1),
  /** The client's own identifier for external audiences, else equal to `id`. */
  audienceId: Text,
  name: z.string(),
  description: Text,
  /** `ExternalSegment` for external audiences. */
  type: Text,
  originName: Text,
  namespace: Text,
  labels: z
    .array(z.string())
    .nullish()
    .transform((value) => value ?? undefined),
  /** A number, or (as the /core/ais page's create sample sends it) a string of one. */
  ttlInDays: nullAsAbsent(AnsweredTtl),
  lifecycleState: Text,
  createdBy: Text,
  /** Seconds. */
  createEpoch: Number_,
  updateEpoch: Number_,
  /** Milliseconds (one sample shows microseconds). */
  creationTime: Number_,
  updateTime: Number_,
  _etag: Text,
});
export type LiveAudience = z.infer<typeof LiveAudience>;

export const AudiencePage = z.looseObject({
  // Required: a page without its list is not an empty page (read so, a name lookup found nothing).
  children: z.array(LiveAudience),
  _page: z
    .looseObject({
      totalCount: z.number().optional(),
      pageSize: z.number().optional(),
      next: z.union([z.string(), z.number()]).nullish(),
    })
    .nullish(),
  /** The next page again, as a link (`@/audiences?start=1&limit=2...`): the page's sample shows both. */
  _links: z.looseObject({ next: z.looseObject({ href: z.string() }).nullish() }).nullish(),
});
export type AudiencePage = z.infer<typeof AudiencePage>;

export const BulkGetAnswer = z.looseObject({
  // Required: an answer without it is not "none of them exists" (read so, a refresh re-created all).
  results: z.record(z.string(), z.unknown()),
});

/** Query of GET /audiences; every parameter optional. */
export type AudienceQuery = {
  start?: number;
  limit?: number;
  /** `attribute:asc` or `attribute:desc`. */
  sort?: string;
  /** Exact matches, `attribute==value`. */
  property?: string | readonly string[];
  /** Name contains, case-insensitive. */
  name?: string;
  description?: string;
};

/** One page of the list; `next` is the `start` of the next page, when there is one. */
export type AudienceListPage = { audiences: LiveAudience[]; next?: number; totalCount?: number };

/** When an audience was created, in epoch seconds, whichever of its timestamps is given. */
export function createdSeconds(audience: LiveAudience): number | undefined {
  if (audience.createEpoch !== undefined) return audience.createEpoch;
  const time = audience.creationTime;
  if (time === undefined) return undefined;
  // Milliseconds, or (one sample) microseconds.
  return Math.floor(time > 1e14 ? time / 1e6 : time / 1000);
}

/**
 * When the service says the audience was created, in epoch ms (AEP's clock): its `creationTime`
 * (milliseconds, or in one sample microseconds), else its `createEpoch` (seconds). A whole number
 * of seconds may be truncated (state/create-window.ts creationLatestMs).
 */
export function createdMs(audience: LiveAudience): number | undefined {
  const time = audience.creationTime;
  if (time !== undefined) return Math.floor(time > 1e14 ? time / 1000 : time);
  return audience.createEpoch === undefined ? undefined : audience.createEpoch * 1000;
}

export function isExternal(audience: LiveAudience): boolean {
  return audience.originName === 'CUSTOM_UPLOAD' || audience.type === 'ExternalSegment';
}
