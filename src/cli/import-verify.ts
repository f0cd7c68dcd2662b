import { escapeText } from '../text/safe-text.js';
import type { ConnectFlags, Connection } from './connect.js';
import { createdMs, createdSeconds, isExternal, type LiveAudience } from '../aep/segment-types.js';
import { measuredOffset } from '../apply/service-time.js';
import type { AudienceReads } from '../aep/types.js';
import { StateError } from '../state/errors.js';
import { recordId } from '../state/record-id.js';
import type { AudienceShown } from '../state/repair.js';

export type ImportClaim = {
  sandbox: string;
  key: string;
  audienceId: string;
  /** The manifest's `spec.name`, when its manifest was found. */
  name?: string | undefined;
  /** The manifest's `spec.namespace` (its default filled in), when its manifest was found. */
  namespace?: string | undefined;
};

const NOTHING = 'nothing was imported';

/**
 * Checks through the Audiences API that `audienceId` names an external audience of the
 * manifest's name and namespace, with one GET. Refuses (throws) when it does not exist, is not
 * external, or has another name or namespace, and when the service cannot be asked: a failed call is never read
 * as "the id is fine". Returns the line to print.
 */
export async function verifyImport(
  client: Pick<AudienceReads, 'getAudience' | 'findAudiencesByName'>,
  claim: ImportClaim,
): Promise<string> {
  return (await checkImport(client, claim)).line;
}

/** verifyImport, with the audience the service showed. */
async function checkImport(
  client: Pick<AudienceReads, 'getAudience' | 'findAudiencesByName'>,
  claim: ImportClaim,
  signal?: AbortSignal,
): Promise<{ line: string; audience: LiveAudience }> {
  const { sandbox, key, audienceId, name, namespace } = claim;
  let audience;
  try {
    // Ended by the command's Ctrl-C (state-interrupt.ts), which then says nothing was imported.
    audience = await client.getAudience(sandbox, audienceId, signal ? { signal } : {});
  } catch (cause) {
    throw new StateError(
      'STATE_IMPORT_UNVERIFIED',
      `cannot check audience ${audienceId} through the service (${(cause as Error).message}); ${NOTHING}`,
      { cause },
    );
  }
  if (!audience) {
    throw new StateError(
      'STATE_IMPORT_NOT_FOUND',
      `audience ${audienceId} does not exist in sandbox ${sandbox} (the Audiences API answered 404); ${NOTHING}`,
    );
  }
  if (!isExternal(audience)) {
    throw new StateError(
      'STATE_IMPORT_NOT_EXTERNAL',
      `audience ${audienceId} in sandbox ${sandbox} is not an external audience (origin ${audience.originName ?? 'unknown'}, type ${audience.type ?? 'unknown'}); audiencectl manages external audiences only; ${NOTHING}`,
    );
  }
  await refuseListedId(client, claim, audience, signal);
  if (name !== undefined && audience.name.trim() !== name.trim()) {
    throw new StateError(
      'STATE_IMPORT_NAME_MISMATCH',
      `audience ${audienceId} is named ${JSON.stringify(audience.name)}, but the manifest of ${recordId(sandbox, key)} names ${JSON.stringify(name)}; ${NOTHING}`,
    );
  }
  // As adoption refuses it (plan/adopt.ts): it cannot be PATCHed, the plan never compares it
  // again, and an audience audiencectl did not create must not be replaced for it later.
  if (namespace !== undefined && audience.namespace !== undefined && audience.namespace !== namespace) {
    throw new StateError(
      'STATE_IMPORT_NAMESPACE_MISMATCH',
      `audience ${audienceId} has namespace ${JSON.stringify(audience.namespace)}, but the manifest of ${recordId(sandbox, key)} names ${JSON.stringify(namespace)} (a namespace cannot be changed in place): set spec.namespace: ${audience.namespace} in the manifest, or give it another spec.name; ${NOTHING}`,
    );
  }
  const line =
    name === undefined
      ? `Verified through the service: audience ${audienceId} is an external audience (${JSON.stringify(audience.name)}); its name was not compared, as no manifest was found.`
      : `Verified through the service: audience ${audienceId} is the external audience ${JSON.stringify(name)}.`;
  return { line, audience };
}

/**
 * Refuses the id the Audiences API lists an external audience under when /core/ais knows it by
 * another (a service that shows it under an id of its own, its `audienceId` field the /core/ais
 * one: audience-ids.ts): recorded, every PATCH, run and DELETE of it would go to an id /core/ais
 * does not know. Only an audience whose two ids differ is looked up again, by its name.
 */
async function refuseListedId(
  client: Pick<AudienceReads, 'findAudiencesByName'>,
  claim: ImportClaim,
  audience: LiveAudience,
  signal: AbortSignal | undefined,
): Promise<void> {
  const { sandbox, audienceId } = claim;
  if (audience.id !== audienceId || audience.audienceId === undefined || audience.audienceId === audienceId)
    return;
  let listed;
  try {
    listed = await client.findAudiencesByName(sandbox, audience.name, signal ? { signal } : {});
  } catch (cause) {
    throw new StateError(
      'STATE_IMPORT_UNVERIFIED',
      `cannot check which id /core/ais knows audience ${audienceId} by (${(cause as Error).message}); ${NOTHING}`,
      { cause },
    );
  }
  const known = listed.find((one) => one.listedId === audienceId)?.id;
  if (known === undefined || known === audienceId) return;
  throw new StateError(
    'STATE_IMPORT_LISTED_ID',
    `audience ${audienceId} in sandbox ${sandbox} is the id the Audiences API lists it under; the External Audiences API, which audiencectl PATCHes, runs and deletes through, knows it as ${known}: import it with --audience-id ${known}; ${NOTHING}`,
  );
}

/** What an import without credentials says instead. */
export const NOT_VERIFIED =
  'Not verified through the service: no AEP credentials are configured (AEP_CLIENT_ID, AEP_CLIENT_SECRET, AEP_ORG_ID, or --config); make sure the id names the external audience of this manifest.';

/**
 * ... and without a manifest: no name to check the id against, so an apply never PATCHes, runs
 * nor deletes it unchecked (apply/unverified-import.ts, apply/delete-check.ts verdictOf).
 */
const NOT_VERIFIED_NO_NAME =
  'Not verified through the service: no AEP credentials are configured (AEP_CLIENT_ID, AEP_CLIENT_SECRET, AEP_ORG_ID, or --config), and with no manifest read there is no name to check the id against: an apply reads what it names and holds its PATCH, run and delete, naming that audience, until an import with AEP credentials verifies the id.';

/**
 * The connection an import checks its id through, when credentials are configured (the
 * configuration's reader and the client are loaded only then); undefined without them.
 * Opened before the lock, so the store can refuse another org's credentials (and bind).
 */
export async function importConnection(flags: ConnectFlags): Promise<Connection | undefined> {
  const { credentialsAbsent, resolveTarget } = await import('./connect.js');
  if (credentialsAbsent(flags)) return undefined;
  const target = await resolveTarget(flags, (warning) =>
    process.stderr.write(`Warning: ${escapeText(warning)}\n`),
  );
  return target.open();
}

/**
 * What the import learnt of the audience: the line to print, and, when the service was asked
 * (`shown`), when it says the audience was created (epoch seconds, AEP's clock) and by whom,
 * where it says, with the offset its answer's Date header showed.
 */
export type VerifiedImport = { line: string; shown?: AudienceShown };

/** One GET through the Audiences API with `connection`; without one, says it was not checked. */
export async function verifiedImport(
  connection: Connection | undefined,
  claim: ImportClaim,
  signal?: AbortSignal,
): Promise<VerifiedImport> {
  if (!connection) return { line: claim.name === undefined ? NOT_VERIFIED_NO_NAME : NOT_VERIFIED };
  const { line, audience } = await checkImport(connection.client, claim, signal);
  const created = createdSeconds(audience);
  const createdAtMs = createdMs(audience);
  const offset = measuredOffset(connection.client);
  const shown: AudienceShown = {
    ...(created === undefined ? {} : { createdSeconds: created }),
    ...(createdAtMs === undefined ? {} : { createdMs: createdAtMs }),
    ...(audience.createdBy === undefined ? {} : { createdBy: audience.createdBy }),
    ...(offset === undefined ? {} : { clockOffset: offset }),
  };
  return { line, shown };
}
