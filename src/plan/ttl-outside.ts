import type { Diagnostic } from '../manifest/diagnostics.js';
import type { DesiredManifest } from '../manifest/load.js';
import { TTL_DAYS } from '../manifest/patterns.js';
import type { AudienceRecord } from '../state/schema.js';
import { liveRead } from './drift.js';
import type { AdoptView, FoundAudience, RefreshView } from './schema.js';

/** Rule of the warning for a ttlInDays the service shows outside the days the page allows. */
export const TTL_OUTSIDE_RULE = 'service/ttl-outside-range';

const RANGE = `${TTL_DAYS.min}-${TTL_DAYS.max}`;

/**
 * The ttlInDays the service shows, as the planner takes it. The page lets it be set "from 1 to
 * 90" (30 by default), and a manifest cannot write another value: one outside is no data
 * expiration audiencectl can read as days (a sentinel or unit of the service's own, or set by
 * a route the page does not describe). Read as drift, every refresh PATCHed it "back", the
 * answer showed it again, and the next refresh did the same; PATCHed on adoption, a person's
 * value the manifest cannot hold was overwritten. It is kept aside (`ttlInDaysOutside`), never
 * compared, and the plan says so (ttlOutsideWarnings).
 */
export function shownTtl(ttl: number | undefined): { ttlInDays?: number; ttlInDaysOutside?: number } {
  if (ttl === undefined) return {};
  return ttl >= TTL_DAYS.min && ttl <= TTL_DAYS.max ? { ttlInDays: ttl } : { ttlInDaysOutside: ttl };
}

/**
 * What was read of the manifest's audience: a refresh's read of its record's id, or, for a
 * manifest without one, the audiences of its name adoption looks at.
 */
function shownFor(
  desired: DesiredManifest,
  record: AudienceRecord | undefined,
  sources: Sources,
): FoundAudience[] {
  const live = record ? liveRead(sources, record) : undefined;
  if (live?.status === 'found') return [live];
  if (record?.audienceId !== undefined) return [];
  return sources.adoptView?.byKey[`${desired.sandbox}/${desired.key}`] ?? [];
}

type Sources = {
  refresh?: RefreshView | undefined;
  lateDeletes?: RefreshView | undefined;
  adoptView?: AdoptView | undefined;
};

/**
 * One warning, at its manifest, for each planned audience whose read (a refresh's, or the one
 * adoption looks at) showed a ttlInDays outside the page's range: what was not compared and why.
 */
export function ttlOutsideWarnings(
  manifests: readonly DesiredManifest[],
  recordOf: (manifest: DesiredManifest) => AudienceRecord | undefined,
  sources: Sources,
): Diagnostic[] {
  const warnings: Diagnostic[] = [];
  // Nothing read of the service (most plans): no record looked up per manifest.
  if (!sources.refresh && !sources.lateDeletes && !sources.adoptView) return warnings;
  for (const desired of manifests) {
    const record = recordOf(desired);
    for (const audience of shownFor(desired, record, sources)) {
      if (audience.ttlInDaysOutside === undefined) continue;
      warnings.push({
        severity: 'warning',
        file: desired.file,
        line: desired.line,
        column: 1,
        rule: TTL_OUTSIDE_RULE,
        message: `${desired.sandbox}/${desired.key}: AEP shows ttlInDays ${audience.ttlInDaysOutside} for audience ${audience.audienceId}, outside the ${RANGE} days the page allows it to be set to; not read as its data expiration, so not compared and not PATCHed (set it in AEP, or change spec.ttlInDays to send the manifest's)`,
      });
    }
  }
  return warnings;
}
