import type { AepFailure } from '../aep-failure.js';
import type { ExecutorDeps } from '../types.js';

/** AEP refused the call's org as not the org of its client (`x-gw-ims-org-id`, 100921-401). */
export function isOrgRefusal(failure: AepFailure): boolean {
  return failure.status === 401 && failure.platformCode === '100921-401';
}

/**
 * After a first create AEP refused as not its client's org, its record dropped whole: the
 * sandbox's binding, which the create's intent made, is forgotten when no other record is there
 * (StateStore.releaseOrg), so that the org once put right is not refused as another store's.
 * Returns what the step's message adds: nothing when there was nothing to forget.
 */
export async function releaseRefusedOrg(sandbox: string, deps: ExecutorDeps): Promise<string> {
  const org = deps.client.orgOf(sandbox);
  if (org === undefined) return '';
  try {
    await deps.store.releaseOrg(sandbox, org.orgId);
    return '';
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `; the state still binds sandbox "${sandbox}" to ${org.orgId}, which AEP refused (${reason}): the next apply under another org is refused until the binding goes`;
  }
}
