import type { AudienceRecord } from '../state/schema.js';
import { forgettableId, strayIdText } from '../state/record-id.js';
import { holdsNoAudience } from '../state/waiting.js';
import { forgetCommand, type PasteFlags } from '../text/paste-flags.js';

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
export function strayRecordReason(record: AudienceRecord, paste: PasteFlags | undefined): string | undefined {
  const stray = strayIdText(record.sandbox, record.key);
  if (stray === undefined) return undefined;
  const drop = dropRecordText(record, paste).replace(/^drop it/, 'drop the record');
  const said = 'the record was not written by audiencectl (made or edited outside it?)';
  if (holdsNoAudience(record)) return `${stray}: ${said}; it names no audience; ${drop}`;
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
