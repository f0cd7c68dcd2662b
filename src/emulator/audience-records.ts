import { normaliseIdentityNs } from './identity-namespaces.js';
import type { AudienceRecord, FieldRecord } from './model.js';
import type { AudienceField, CreateAudienceBody } from './schema.js';
import { flatSource } from './source-shape.js';
import { compact } from './views.js';

/** The page's documented default data expiration. */
export const DEFAULT_TTL_IN_DAYS = 30;

export function fieldRecord(field: AudienceField): FieldRecord {
  return compact({
    name: field.name,
    type: field.type,
    identityNs: field.identityNs === undefined ? undefined : normaliseIdentityNs(field.identityNs),
    labels: field.labels,
  });
}

/**
 * `operationDetails`: the request echoed in the shape it was sent (`sourceSpec` with or
 * without `params`), with `ttlInDays` as a number and identity namespaces normalised.
 */
export function operationDetails(body: CreateAudienceBody): Record<string, unknown> {
  return compact({
    name: body.name,
    description: body.description,
    customAudienceId: body.customAudienceId,
    fields: body.fields.map(fieldRecord),
    sourceSpec:
      'params' in body.sourceSpec
        ? { params: compact({ ...body.sourceSpec.params }) }
        : compact({ ...body.sourceSpec }),
    ttlInDays: body.ttlInDays,
    labels: body.labels,
    audienceType: body.audienceType,
    originName: body.originName,
    namespace: body.namespace,
    tags: body.tags,
  });
}

export type NewAudience = {
  audienceId: string;
  operationId: string;
  orgId: string;
  sandbox: string;
  actor: string;
  createdAtMs: number;
  readyAtMs: number;
};

export function audienceRecord(body: CreateAudienceBody, meta: NewAudience): AudienceRecord {
  const createdAt = Math.floor(meta.createdAtMs / 1000);
  return compact({
    audienceId: meta.audienceId,
    operationId: meta.operationId,
    orgId: meta.orgId,
    sandbox: meta.sandbox,
    name: body.name,
    description: body.description,
    customAudienceId: body.customAudienceId,
    fields: body.fields.map(fieldRecord),
    sourceSpec: compact({ ...flatSource(body.sourceSpec) }),
    ttlInDays: body.ttlInDays ?? DEFAULT_TTL_IN_DAYS,
    labels: body.labels,
    audienceType: body.audienceType,
    originName: body.originName,
    namespace: body.namespace,
    tags: body.tags,
    createdBy: meta.actor,
    createdAt,
    updatedBy: meta.actor,
    updatedAt: createdAt,
    readyAtMs: meta.readyAtMs,
    runIds: [],
  });
}
