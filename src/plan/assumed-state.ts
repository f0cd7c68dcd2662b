import type { LoadResult } from '../manifest/load.js';
import { knownSpecHash } from '../manifest/spec-hash-memo.js';
import type { AudienceRecord, RecordedState } from '../state/schema.js';
import { withLazyProperty } from '../text/lazy-property.js';
import { normaliseSpec, specHash } from './normalise.js';

type Applied = NonNullable<AudienceRecord['applied']>;

/**
 * What the base branch applied of a manifest. A manifest the cache served carries its
 * spec's hash: its normal spec is computed only if a step reads it (most are unchanged).
 */
function appliedOf(m: LoadResult['manifests'][number], at: string): Applied {
  const { request } = m.manifest.ingestion;
  const rest = { ...(request === undefined ? {} : { ingestionRequest: request }), at };
  const known = knownSpecHash(m.manifest);
  if (known === undefined) {
    const spec = normaliseSpec(m.manifest.spec);
    return { spec, hash: specHash(spec), ...rest };
  }
  const pending = { spec: undefined as unknown as Applied['spec'], hash: known, ...rest };
  return withLazyProperty(pending, 'spec', () => normaliseSpec(m.manifest.spec));
}

/**
 * The state a pull-request plan assumes: everything on the base branch is applied,
 * including the runs it asked for. Needs no credentials and no state directory.
 */
export function assumedStateFrom(base: LoadResult, appliedAt: string): RecordedState {
  const at = Math.floor(Date.parse(appliedAt) / 1000);
  const audiences: AudienceRecord[] = base.manifests.map((m) => ({
    schemaVersion: 1,
    sandbox: m.sandbox,
    key: m.key,
    audienceId: `(base) ${m.key}`,
    deletionPolicy: m.manifest.metadata.deletionPolicy,
    manifestFile: m.file,
    applied: appliedOf(m, appliedAt),
    runs: [
      { runId: '(base)', status: 'SUCCESS', createdAt: at, dataFilterStartTime: 0, dataFilterEndTime: at },
    ],
  }));
  return { meta: undefined, audiences };
}
