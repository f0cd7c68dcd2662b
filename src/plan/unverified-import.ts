import type { AudienceRecord } from '../state/schema.js';
import {
  AUDIENCE_ID,
  forgetCommand,
  manifestsDirNote,
  stateImportCommand,
  type PasteFlags,
} from '../text/paste-flags.js';

/** What an audience read under an imported id shows: enough to tell it is the one imported. */
export type ShownAudience = { name: string; external: boolean };

/** Whether `record` holds an id `state import` recorded without asking the service (no credentials). */
export function unverifiedImport(record: AudienceRecord | undefined): boolean {
  return record?.imported?.unverified === true && record.audienceId !== undefined;
}

/**
 * Why the audience shown under an unverified import's id is not the one imported, or
 * undefined when it is: external, and of the imported name as `state import` compares it
 * with credentials (cli/import-verify.ts: surrounding blanks aside).
 */
export function notTheImported(record: AudienceRecord, shown: ShownAudience): string | undefined {
  const expected = record.imported?.name;
  if (!shown.external)
    return `is named "${shown.name}", which is not an external audience (another audience, left as it is)`;
  if (expected !== undefined && shown.name.trim() !== expected.trim())
    return `is named "${shown.name}", not "${expected}" (another audience, left as it is)`;
  return undefined;
}

/**
 * The one line that stops a call to the audience an unverified import recorded, when the id
 * names another (both names: `why`, from notTheImported) or none: the id, why, and the repairs.
 */
export function otherAudienceText(
  record: AudienceRecord,
  why: string,
  paste: PasteFlags | undefined,
): string {
  const id = record.audienceId ?? '?';
  return `audience ${id} ${why}: \`audiencectl state import\` recorded this id for ${record.sandbox}/${record.key} without AEP credentials, so it was never verified; point the key at its own audience: \`${stateImportCommand(record.key, record.sandbox, paste, AUDIENCE_ID)} --force\`${manifestsDirNote(paste, `${AUDIENCE_ID}: its id in AEP`)}, or run \`${forgetCommand(record.key, record.sandbox, paste)}\` to create the manifest's audience anew`;
}

/**
 * Whether `record` holds an id `state import` recorded without credentials and with no name to
 * compare (`--without-manifest`): any external audience would pass the check before its DELETE,
 * PATCH or run, so each is held whatever the id names until an import with credentials verifies it.
 */
export function unverifiedWithoutName(record: AudienceRecord): boolean {
  return unverifiedImport(record) && record.imported?.name === undefined;
}

/**
 * Why the first PATCH or run of an unverified import with no name to compare is held
 * (unverifiedWithoutName): what the id names (`shown`), the manifest's name it would be given
 * (`manifestName`, when the step carries it), and the repairs: verify it with credentials (the
 * import then compares the manifest's name), point the key at its own audience, or forget it.
 */
export function unverifiedPatchText(
  record: AudienceRecord,
  shown: { name: string; createdBy?: string | undefined },
  manifestName: string | undefined,
  paste: PasteFlags | undefined,
): string {
  const id = record.audienceId ?? '?';
  const where = `${record.sandbox}/${record.key}`;
  const whose = manifestName === undefined ? '' : ` ("${manifestName}")`;
  const verify = stateImportCommand(record.key, record.sandbox, paste, id);
  const point = `${stateImportCommand(record.key, record.sandbox, paste, AUDIENCE_ID)} --force`;
  return `id ${id} names "${shown.name}" (created by ${shown.createdBy ?? 'unknown'}), and nothing has checked that it is the audience of ${where}'s manifest${whose}: \`audiencectl state import\` recorded this id without AEP credentials and without a manifest, so with no name to compare it with; if it is, verify it with AEP credentials: \`${verify}\`${manifestsDirNote(paste)} (it compares the manifest's spec.name), and the next apply goes on; if not, point the key at its own audience: \`${point}\` (${AUDIENCE_ID}: its id in AEP), or run \`${forgetCommand(record.key, record.sandbox, paste)}\` to create the manifest's audience anew and leave "${shown.name}" alone`;
}

/**
 * Why the delete of an unverified import's id is held (the id names nothing, or
 * unverifiedWithoutName): what the id names now (`shown`; undefined: nothing), and the repairs:
 * verify it with credentials (the next apply then deletes it), point the key at the audience
 * meant, or forget the record.
 */
export function unverifiedDeleteText(
  record: AudienceRecord,
  shown: { name: string; createdBy?: string | undefined } | undefined,
  paste: PasteFlags | undefined,
): string {
  const id = record.audienceId ?? '?';
  const where = `${record.sandbox}/${record.key}`;
  const point = `${stateImportCommand(record.key, record.sandbox, paste, AUDIENCE_ID)} --without-manifest --force`;
  const forget = `run \`${forgetCommand(record.key, record.sandbox, paste)}\` to drop the record`;
  if (shown === undefined)
    return `id ${id} names no audience in sandbox "${record.sandbox}" (the Audiences API answered 404), and it never was known to: \`audiencectl state import\` recorded it for ${where} without AEP credentials, so its 404 is no deletion; point the key at the audience to delete: \`${point}\`${manifestsDirNote(paste, `${AUDIENCE_ID}: its id in AEP`)}, or ${forget}`;
  const verify = `${stateImportCommand(record.key, record.sandbox, paste, id)} --without-manifest`;
  return `id ${id} names "${shown.name}" (created by ${shown.createdBy ?? 'unknown'}), and nothing has checked that it is the audience to delete: \`audiencectl state import\` recorded this id for ${where} without AEP credentials and without a manifest, so with no name to compare it with; if it is, verify it with AEP credentials: \`${verify}\`${manifestsDirNote(paste)}, and the next apply deletes it; if not, point the key at the audience to delete: \`${point}\` (${AUDIENCE_ID}: its id in AEP), or ${forget} and leave "${shown.name}" alone`;
}
