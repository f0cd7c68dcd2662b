import type { DesiredManifest } from '../manifest/load.js';
import type { AudienceRecord } from '../state/schema.js';
import { forgettableId, strayIdText } from '../state/record-id.js';
import { holdsNoAudience } from '../state/waiting.js';
import {
  AUDIENCE_ID,
  forgetCommand,
  manifestsDirNote,
  stateImportCommand,
  type PasteFlags,
} from '../text/paste-flags.js';
import { waitingName } from './waiting-move.js';

/**
 * `drop it with \`audiencectl state forget …\``; for an id `state forget` cannot take (one holding
 * a backslash: forgettableId), what is left: the store itself.
 */
export function dropRecordText(record: AudienceRecord, paste: PasteFlags | undefined): string {
  return forgettableId(record.sandbox, record.key)
    ? `drop it with \`${forgetCommand(record.key, record.sandbox, paste)}\``
    : 'remove it from the state store';
}

/**
 * Why a record no manifest matches is held, not removed: no manifest can have its sandbox or key
 * (`Bad Key`). audiencectl writes no such record (assertValidId), so it was made outside it (a
 * row inserted or edited by hand, a record file renamed): whose audience it names is not known,
 * no manifest was removed, and apply could not record a deletion under its key anyway (each step
 * failed on it, every apply and every controller pass). Undefined: a manifest can have its id.
 */
export function strayRecordReason(
  record: AudienceRecord,
  paste: PasteFlags | undefined,
  /** A manifest `file` now holds, if any (asked of a held record's own file only). */
  fileHolds: (file: string) => DesiredManifest | undefined = () => undefined,
): string | undefined {
  const stray = strayIdText(record.sandbox, record.key);
  if (stray === undefined) return undefined;
  const drop = dropRecordText(record, paste).replace(/^drop it/, 'drop the record');
  const said = 'the record was not written by audiencectl (made or edited outside it?)';
  if (holdsNoAudience(record)) return `${stray}: ${said}; it names no audience; ${drop}`;
  const holds = record.manifestFile === undefined ? undefined : fileHolds(record.manifestFile);
  const another = holds && anotherManifestText(record, holds, paste);
  if (another !== undefined) return `${stray}: ${said}; ${another.replace('DROP', drop)}`;
  return `${stray}: ${said}; its audience ${record.audienceId ?? '?'} is left as it is; ${drop}, then, to manage the audience again, \`audiencectl state import\` it under its manifest's key`;
}

/**
 * What a blocked move of a record under an id no manifest can have (`Bad Key`) says in place of
 * "set metadata.name back to Bad Key" (or metadata.sandbox), which no manifest can be: drop the
 * record, then import its audience under the manifest's key (`importIt`, the command as printed,
 * for `manifestId`). Undefined: a manifest can have the record's id, and can be set back to it.
 */
export function strayMoveText(
  record: AudienceRecord,
  manifestId: string,
  importIt: string,
  paste: PasteFlags | undefined,
): string | undefined {
  const stray = strayIdText(record.sandbox, record.key);
  if (stray === undefined) return undefined;
  const which = stray.startsWith('its sandbox') ? 'sandbox' : 'key';
  const drop = dropRecordText(record, paste).replace(/^drop it/, 'drop the record');
  return `I${stray.slice(1)}: the record was not written by audiencectl (made or edited outside it?), and no manifest can take its ${which} back. To manage the audience under ${manifestId}: ${drop}, then ${importIt}`;
}

/**
 * The way out of a held record under a key no manifest can have whose own file now holds another
 * manifest (metadata.name and spec.name changed: a name is not changed in place, so that is
 * another audience, planned on its own). "Import it under its manifest's key" named none: the
 * file's manifest is not its audience's, and `state import` takes an audience only under a
 * manifest naming it. `DROP` stands for the forget. Undefined for a sandbox no manifest can
 * have: the import's sandbox is then the user's to choose.
 */
function anotherManifestText(
  record: AudienceRecord,
  holds: DesiredManifest,
  paste: PasteFlags | undefined,
): string | undefined {
  if (strayIdText(record.sandbox, 'key') !== undefined) return undefined;
  const name = waitingName(record);
  const audience = `its audience ${record.audienceId ?? '?'}${name === undefined ? '' : ` ("${name}")`}`;
  const importIt = stateImportCommand('KEY', record.sandbox, paste, record.audienceId ?? AUDIENCE_ID);
  const naming = name === undefined ? 'it' : `"${name}"`;
  return (
    `${audience} is left as it is, and ${holds.file}, its file, now holds ${holds.sandbox}/${holds.key}, another audience; ` +
    `DROP, then, to manage the audience again, give it a manifest whose spec.name is ${naming} and \`${importIt}\`` +
    manifestsDirNote(paste, "KEY: that manifest's metadata.name")
  );
}
