import type { DesiredManifest } from '../manifest/load.js';
import type { AudienceRecord } from '../state/schema.js';
import { isWaiting, movable } from '../state/waiting.js';
import { knownName } from './drift.js';

/**
 * The name a record's audience has or will have: for a record waiting for its create, the name
 * its create sent (an audience it made has that name), else the name audiencectl knows it by.
 */
export function waitingName(record: AudienceRecord): string | undefined {
  return (isWaiting(record) ? record.pendingCreate?.body.name : undefined) ?? knownName(record);
}

/**
 * Whether the create of `manifest` may take `record` with it: a record waiting for its create
 * whose manifest changed its metadata.name (same sandbox) or its sandbox. To another key of the
 * same sandbox, everything it holds goes (a create in flight is resumed as it was sent, under
 * the new key: the service knows no keys); a release's create intent that did not record its
 * body cannot be resumed as sent, and a call other than a create is never carried. To another
 * sandbox, only a record of which no audience can exist: no create in flight (that one is
 * settled in its own sandbox first, see moveStep), and only for a metadata.sandbox the manifest
 * names (a changed default sandbox stays a blocked move, as for every recorded audience).
 */
export function carries(record: AudienceRecord, manifest: DesiredManifest): boolean {
  const other = manifest.sandbox !== record.sandbox;
  // A default sandbox changed (--sandbox, AEP_SANDBOX) is more likely a mistake than a move.
  if (other && manifest.manifest.metadata.sandbox === undefined) return false;
  return movable(record, other);
}
