import type { LiveAudience } from '../aep/segment-types.js';
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
  // A fragment is often a word many names share (`Audience`), whose listing can run to every
  // audience of the sandbox: each is listed once per sandbox, for every manifest it serves.
  const listed = new Map<string, Promise<LiveAudience[]>>();
  const containing = (sandbox: string, part: string): Promise<LiveAudience[]> => {
    const id = JSON.stringify([sandbox, part.toLowerCase()]);
    let list = listed.get(id);
    if (list === undefined) {
      list = client.findAudiencesNameContains(sandbox, part, given);
      listed.set(id, list);
    }
    return list;
  };
  for (const manifest of manifests) {
    const name = manifest.manifest.spec.name;
    try {
      let found = await client.findAudiencesByName(manifest.sandbox, name, given);
      if (found.length === 0 && options.exactKnown?.(manifest) !== true) {
        const part = await containing(manifest.sandbox, nameFragment(name));
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
