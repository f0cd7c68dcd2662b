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
