import type { AudienceReads, CallOptions } from '../aep/types.js';
import type { LiveAudience } from '../aep/segment-types.js';
import type { LoadResult } from '../manifest/load.js';
import type { AdoptView } from '../plan/schema.js';
import { recordId } from '../state/record-id.js';
import { alikeName } from '../plan/name-alike.js';
import { aepFailure } from './aep-failure.js';
import { foundAudience, RefreshError } from './refresh.js';

type Manifests = LoadResult['manifests'];
type Found = AdoptView['byKey'][string];

/** The inactive audiences of each sandbox, or why the service would not list them. */
export type InactiveLists = { found: Map<string, Found>; refused: Map<string, string> };

/**
 * "Without query parameters inactive audiences are left out; filtering with
 * `property=audienceId==…` returns them too." A service may read that as leaving them out of
 * the name lookups discovery makes (`property=name==…`) as well: an audience deactivated in
 * the UI would then never be discovered. So each sandbox with a manifest to discover is also
 * listed with `property=lifecycleState==inactive` (one more list, paged, per sandbox).
 *
 * A 400 says the service does not take that filter: discovery goes on, and the sandbox is
 * named in `refused` so that what found nothing says inactive audiences were not seen. It is
 * not made fatal: everything matched was found by a name lookup that answered, and "missing"
 * writes nothing (the next apply's create of a name an inactive audience holds is refused
 * with 409 and resolved by name, never duplicated). Any other failure fails the discovery.
 */
export async function readInactive(
  manifests: Manifests,
  client: Pick<AudienceReads, 'listInactiveAudiences'>,
  /** Ends the lists in flight (the command's Ctrl-C: cli/state-interrupt.ts). */
  signal?: AbortSignal,
): Promise<InactiveLists> {
  const lists: InactiveLists = { found: new Map(), refused: new Map() };
  for (const sandbox of new Set(manifests.map((manifest) => manifest.sandbox))) {
    try {
      const audiences = await client.listInactiveAudiences(sandbox, signal ? { signal } : {});
      lists.found.set(
        sandbox,
        audiences.map((audience) => foundAudience(audience)),
      );
    } catch (error) {
      const failure = aepFailure(error);
      if (failure.status === 400) {
        lists.refused.set(sandbox, failure.message);
        continue;
      }
      throw new RefreshError(
        'DISCOVER_LIST_FAILED',
        `cannot list the inactive audiences of sandbox "${sandbox}": ${failure.message}; nothing was recorded`,
        { cause: error },
      );
    }
  }
  return lists;
}

/**
 * The name lookups' candidates plus the inactive audiences of each manifest's name, or of a
 * name like it (plan/name-alike.ts),
 * merged by id: a service that also answers them to the name lookup (or ignores the filter
 * and lists active ones) adds no duplicate.
 */
export function withInactive(view: AdoptView, manifests: Manifests, lists: InactiveLists): AdoptView {
  const byKey: AdoptView['byKey'] = { ...view.byKey };
  for (const manifest of manifests) {
    const id = recordId(manifest.sandbox, manifest.key);
    const candidates = [...(byKey[id] ?? [])];
    const seen = new Set(candidates.map((candidate) => candidate.audienceId));
    for (const audience of lists.found.get(manifest.sandbox) ?? []) {
      const name = manifest.manifest.spec.name;
      const like = audience.name === name || alikeName(name, audience.name) !== undefined;
      if (!like || seen.has(audience.audienceId)) continue;
      seen.add(audience.audienceId);
      candidates.push(audience);
    }
    byKey[id] = candidates;
  }
  return { ...view, byKey };
}

/**
 * The inactive audiences of exactly `name` in `sandbox`, for the name lookups that decide
 * about our own interrupted create: a service may leave them out of `property=name==…`. Any
 * failure to list them is returned, never read as "none" (an abort is thrown).
 */
export async function inactiveByName(
  client: Pick<AudienceReads, 'listInactiveAudiences'>,
  sandbox: string,
  name: string,
  options: CallOptions,
): Promise<{ audiences: LiveAudience[] } | { failure: string }> {
  try {
    const audiences = await client.listInactiveAudiences(sandbox, options);
    return { audiences: audiences.filter((audience) => audience.name === name) };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    return { failure: aepFailure(error).message };
  }
}
