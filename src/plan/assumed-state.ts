import type { LoadResult } from '../manifest/load.js';
import type { AudienceRecord, RecordedState } from '../state/schema.js';
import { normaliseSpec, specHash } from './normalise.js';

/**
 * The state a pull-request plan assumes: everything on the base branch is applied,
 * including the runs it asked for. Needs no credentials and no state directory.
 */
export function assumedStateFrom(base: LoadResult, appliedAt: string): RecordedState {
  const at = Math.floor(Date.parse(appliedAt) / 1000);
  const audiences: AudienceRecord[] = base.manifests.map((m) => {
    const spec = normaliseSpec(m.manifest.spec);
    const { request } = m.manifest.ingestion;
    return {
      schemaVersion: 1,
      sandbox: m.sandbox,
      key: m.key,
      audienceId: `(base) ${m.key}`,
      deletionPolicy: m.manifest.metadata.deletionPolicy,
      manifestFile: m.file,
      applied: {
        spec,
        hash: specHash(spec),
        ...(request === undefined ? {} : { ingestionRequest: request }),
        at: appliedAt,
      },
      runs: [
        { runId: '(base)', status: 'SUCCESS', createdAt: at, dataFilterStartTime: 0, dataFilterEndTime: at },
      ],
    };
  });
  return { meta: undefined, audiences };
}
