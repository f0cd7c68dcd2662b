import type { NormalField, NormalSpec } from '../../src/manifest/normal-spec.js';
import type { AudienceSpec } from '../../src/manifest/schema.js';
import { compareText } from '../../src/text/compare.js';

// normaliseSpec (src/plan/normalise.ts) as it was written first, with spreads of the
// optional parts (commit ef9d3c9): the reference test/plan/normalise.spec.ts and
// test/manifest/file-line-fast.spec.ts compare with. Not used by the code.

export function referenceNormalise(spec: AudienceSpec): NormalSpec {
  const sortedSet = (values: readonly string[] | undefined) => [...new Set(values ?? [])].sort();
  const params = 'params' in spec.sourceSpec ? spec.sourceSpec.params : spec.sourceSpec;
  const fields: NormalField[] = spec.fields
    .map((field) => ({
      name: field.name,
      type: field.type,
      ...(field.identityNs === undefined ? {} : { identityNs: field.identityNs.toLowerCase() }),
      labels: sortedSet(field.labels),
    }))
    .sort((a, b) => compareText(a.name, b.name));
  return {
    name: spec.name,
    description: spec.description ?? '',
    ...(spec.customAudienceId === undefined ? {} : { customAudienceId: spec.customAudienceId }),
    fields,
    sourceSpec: {
      path: params.path,
      type: params.type,
      ...(params.sourceType === undefined ? {} : { sourceType: params.sourceType }),
      ...(params.cloudType === undefined ? {} : { cloudType: params.cloudType }),
      ...(params.baseConnectionId === undefined ? {} : { baseConnectionId: params.baseConnectionId }),
    },
    ttlInDays: spec.ttlInDays ?? 30,
    labels: sortedSet(spec.labels),
    audienceType: spec.audienceType ?? 'people',
    originName: spec.originName,
    namespace: spec.namespace ?? 'CustomerAudienceUpload',
    tags: sortedSet(spec.tags),
  };
}
