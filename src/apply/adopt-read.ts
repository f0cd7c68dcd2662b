import type { AudienceReads } from '../aep/types.js';
import type { LoadResult } from '../manifest/load.js';
import type { AdoptView } from '../plan/schema.js';
import { recordId } from '../state/record-id.js';
import { alikeName, nameFragment } from '../plan/name-alike.js';
import { aepFailure } from './aep-failure.js';
import { foundAudience, RefreshError } from './refresh.js';

/**
 * Looks up, by exact name, the audiences each adopting manifest could take over, and where
 * none has it, those of a name like it (name-alike.ts: one the service takes for the same, or
 * that looks the same), which are never adopted but shown rather than reported missing; the
 * planner decides from this data. A failed lookup fails: no manifest is created for want of an
 * answer. No manifest to adopt: no request.
 */
export async function readAdoptView(
  manifests: LoadResult['manifests'],
  client: Pick<AudienceReads, 'findAudiencesByName' | 'findAudiencesNameContains'>,
  options: {
    now: number;
    signal?: AbortSignal | undefined;
    /** Whether an audience of the manifest's exact name is known already (an inactive one listed): then no look-alike is looked for. */
    exactKnown?: (manifest: LoadResult['manifests'][number]) => boolean;
  },
): Promise<AdoptView> {
  const byKey: AdoptView['byKey'] = {};
  const given = options.signal ? { signal: options.signal } : {};
  for (const manifest of manifests) {
    const name = manifest.manifest.spec.name;
    try {
      let found = await client.findAudiencesByName(manifest.sandbox, name, given);
      if (found.length === 0 && options.exactKnown?.(manifest) !== true) {
        const part = await client.findAudiencesNameContains(manifest.sandbox, nameFragment(name), given);
        found = part.filter((audience) => alikeName(name, audience.name) !== undefined);
      }
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
