import { StateReadError } from './errors.js';
import { readJsonFile, parseStateJson, recordRepairHint } from './read-json.js';
import { RECORD_FORMATS } from './record-format.js';
import { recordId } from './record-id.js';
import { AudienceRecord } from './schema.js';
import { scrubFailureReasons } from './scrub-record.js';
import type { PasteFlags } from '../text/paste-flags.js';

// The record files' readers, with zod (schema.ts): loaded by the readers of whole stores, and
// by a plan only for the first record the state snapshot does not serve (read-snapshot.ts).

/** Reads one audience record and checks that it is stored where its sandbox and key say (failure reasons scrubbed). */
export async function readRecordFile(
  file: string,
  sandbox: string,
  key: string,
  /** The flags its repair commands carry, if it is corrupt (src/text/paste-flags.ts). */
  paste?: PasteFlags,
): Promise<AudienceRecord | undefined> {
  const record = checkPlace(
    file,
    sandbox,
    key,
    await readJsonFile(file, AudienceRecord, recordRepairHint(file, paste), RECORD_FORMATS),
  );
  return record && scrubFailureReasons(record);
}

/** Parses the text of a record file (see readTextSync) and checks its place. */
export function parseRecordText(
  file: string,
  sandbox: string,
  key: string,
  text: string,
  paste?: PasteFlags,
): AudienceRecord {
  const record = parseStateJson(file, text, AudienceRecord, recordRepairHint(file, paste), RECORD_FORMATS);
  checkPlace(file, sandbox, key, record);
  return scrubFailureReasons(record);
}

function checkPlace<T extends AudienceRecord | undefined>(
  file: string,
  sandbox: string,
  key: string,
  record: T,
): T {
  if (record && (record.sandbox !== sandbox || record.key !== key)) {
    throw new StateReadError(
      'STATE_CORRUPT',
      `state file ${file} holds ${recordId(record.sandbox, record.key)}, but its path says ${recordId(sandbox, key)}`,
    );
  }
  return record;
}
