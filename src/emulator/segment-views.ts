import { createHash } from 'node:crypto';
import type { AudienceRecord } from './model.js';
import { compact } from './views.js';

/**
 * An audience as the Segmentation Service's Audiences API (`/data/core/ups/audiences`) shows
 * it: the fields ../shared/reference/audiences-api.md lists. It has no `fields`,
 * `sourceSpec`, `tags` or `customAudienceId` as such; an external audience's `audienceId`
 * is the client's own identifier when one was given.
 */
export type SegmentAudience = {
  id: string;
  audienceId: string;
  name: string;
  description?: string;
  type: 'ExternalSegment' | 'SegmentDefinition';
  originName: string;
  namespace: string;
  labels?: string[];
  ttlInDays?: number;
  lifecycleState: 'active' | 'inactive';
  sandbox: { sandboxId: string; sandboxName: string; type: 'production' | 'development'; default: boolean };
  imsOrgId: string;
  createdBy: string;
  createEpoch: number;
  updateEpoch: number;
  creationTime: number;
  updateTime: number;
  _etag: string;
};

/** A stable made-up sandbox id, as the service gives every sandbox one. */
function sandboxId(orgId: string, sandbox: string): string {
  const hex = createHash('sha256').update(`${orgId}/${sandbox}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The id the Audiences API shows an audience under (the `audienceIds` reading): its /core/ais
 * audienceId (`same`), or one of its own (`distinct`), made from it so that it stays the same
 * across reads and restarts.
 */
export function segmentIdOf(audienceId: string, ids: 'same' | 'distinct' = 'same'): string {
  if (ids === 'same') return audienceId;
  const hex = createHash('sha256').update(`ups/${audienceId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * `unit`: of `creationTime` and `updateTime`, milliseconds as the page's property table says, or
 * microseconds as one of its samples shows (the `creationTimeUnit` reading).
 */
export function segmentView(
  audience: AudienceRecord,
  unit: 'milliseconds' | 'microseconds' = 'milliseconds',
  /** `distinct`: `id` one of its own, `audienceId` the /core/ais one (the `audienceIds` reading). */
  ids: 'same' | 'distinct' = 'same',
): SegmentAudience {
  const external = audience.originName === 'CUSTOM_UPLOAD';
  const perSecond = unit === 'microseconds' ? 1_000_000 : 1000;
  return compact({
    id: segmentIdOf(audience.audienceId, ids),
    audienceId: ids === 'distinct' ? audience.audienceId : (audience.customAudienceId ?? audience.audienceId),
    name: audience.name,
    description: audience.description,
    type: external ? ('ExternalSegment' as const) : ('SegmentDefinition' as const),
    originName: audience.originName,
    namespace: audience.namespace ?? 'CustomerAudienceUpload',
    labels: audience.labels && [...audience.labels],
    ttlInDays: audience.ttlInDays,
    lifecycleState: audience.lifecycleState ?? 'active',
    sandbox: {
      sandboxId: sandboxId(audience.orgId, audience.sandbox),
      sandboxName: audience.sandbox,
      type: audience.sandbox === 'prod' ? ('production' as const) : ('development' as const),
      default: audience.sandbox === 'prod',
    },
    imsOrgId: audience.orgId,
    createdBy: audience.createdBy,
    createEpoch: audience.createdAt,
    updateEpoch: audience.updatedAt,
    creationTime: audience.createdAt * perSecond,
    updateTime: audience.updatedAt * perSecond,
    _etag: `"${audience.audienceId.slice(0, 8)}-${audience.version ?? 0}"`,
  });
}
