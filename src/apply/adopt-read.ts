import type { AudienceReads } from '../aep/types.js';
import type { LoadResult } from '../manifest/load.js';
import type { AdoptView } from '../plan/schema.js';
import { recordId } from '../state/record-id.js';
import { aepFailure } from './aep-failure.js';
import { foundAudience, RefreshError } from './refresh.js';

/**
 * Looks up, by exact name, the audiences each adopting manifest could take over; the planner
 * decides from this data. A failed lookup fails: no manifest is created for want of an answer.
 * No manifest to adopt: no request.
 */
export async function readAdoptView(
  manifests: LoadResult['manifests'],
  client: Pick<AudienceReads, 'findAudiencesByName'>,
  options: { now: number; signal?: AbortSignal | undefined },
): Promise<AdoptView> {
  const byKey: AdoptView['byKey'] = {};
  for (const manifest of manifests) {
    const name = manifest.manifest.spec.name;
    try {
      const found = await client.findAudiencesByName(
        manifest.sandbox,
        name,
        options.signal ? { signal: options.signal } : {},
      );
      byKey[recordId(manifest.sandbox, manifest.key)] = found.map((audience) => foundAudience(audience));
    } catch (error) {
      throw new RefreshError(
        'ADOPT_LOOKUP_FAILED',
        `cannot look up audiences named "${name}" in sandbox "${manifest.sandbox}" to adopt one: ${aepFailure(error).message}`,
        { cause: error },
      );
    }
  }
  return { at: new Date(options.now).toISOString(), byKey };
}
