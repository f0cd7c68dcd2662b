import type { AudienceRecord } from '../state/schema.js';
import { AUDIENCE_ID, manifestsDirNote, stateImportCommand, type PasteFlags } from '../text/paste-flags.js';
import type { FieldChange } from './schema.js';

/** The blocked replace of an imported audience whose manifest renamed it (importedRename). */
type ImportedRename = { reason: string; changes: FieldChange[]; blocked: string };

/**
 * An imported audience (no spec applied yet) whose manifest's `spec.name` is no longer the name
 * it was imported under (`imported.name`, which the import verified or the apply's first read
 * checks): a name cannot be PATCHed, and an audience audiencectl did not create is never replaced
 * (as adoption holds it, adopt.ts), so the replacement is planned blocked. The imported
 * audience's PATCH would record the new name as applied while AEP keeps the old one, and every
 * later plan would read "No changes".
 */
export function importedRename(
  record: AudienceRecord,
  specName: string,
  paste: PasteFlags | undefined,
): ImportedRename | undefined {
  const imported = record.imported?.name;
  if (record.applied || imported === undefined || imported === specName) return undefined;
  const point = stateImportCommand(record.key, record.sandbox, paste, AUDIENCE_ID);
  return {
    reason: 'imported audience: name cannot be changed in place (forces replacement)',
    changes: [{ path: 'name', before: imported, after: specName, forcesReplacement: true }],
    blocked: `the audience was imported as ${JSON.stringify(imported)} and no apply has recorded it yet; a name cannot be PATCHed, and an audience audiencectl did not create is never replaced: set spec.name back to ${JSON.stringify(imported)} (once an apply has recorded the audience, another spec.name replaces it, with metadata.allowReplace), or point the key at an audience named ${JSON.stringify(specName)}: \`${point} --force\`${manifestsDirNote(paste, `${AUDIENCE_ID}: its id in AEP`)}`,
  };
}
