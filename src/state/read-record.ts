import { StateReadError } from './errors.js';
import { parseJsonText, parseStateJson, readStateText, recordRepairHint } from './read-json.js';
import { RECORD_FORMATS } from './record-format.js';
import { recordId } from './record-id.js';
import type { AudienceRecord } from './schema.js';
import { scrubFailureReasons } from './scrub-record.js';
import { validateRecordFast } from './validate-record-fast.js';
import type { PasteFlags } from '../text/paste-flags.js';

// The record files' readers. A record in the shapes audiencectl writes is validated without
// zod (validate-record-fast.ts); zod, and schema.ts's schemas with it, is loaded by the first
// record left to it, which it words the refusal of: a cold plan of ordinary records loads none.

/** Reads one audience record and checks that it is stored where its sandbox and key say (failure reasons scrubbed). */
export async function readRecordFile(
  file: string,
  sandbox: string,
  key: string,
  /** The flags its repair commands carry, if it is corrupt (src/text/paste-flags.ts). */
  paste?: PasteFlags,
): Promise<AudienceRecord | undefined> {
  const text = await readStateText(file);
  return text === undefined ? undefined : parseRecordText(file, sandbox, key, text, paste);
}

/**
 * Parses the text of a record file (see readTextSync) and checks its place: the record, or
 * for a record the fast validator leaves to zod, the promise of it (zod is loaded for it).
 */
export function parseRecordText(
  file: string,
  sandbox: string,
  key: string,
  text: string,
  paste?: PasteFlags,
): AudienceRecord | Promise<AudienceRecord> {
  const record = validateRecordFast(jsonOf(file, text, paste));
  if (record === undefined) return parseWithZod(file, sandbox, key, text, paste);
  checkPlace(file, sandbox, key, record);
  return scrubFailureReasons(record);
}

/** The parsed text; text that is not JSON is refused as parseStateJson refuses it (the hint made only then). */
function jsonOf(file: string, text: string, paste: PasteFlags | undefined): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return parseJsonText(file, text, recordRepairHint(file, paste));
  }
}

async function parseWithZod(
  file: string,
  sandbox: string,
  key: string,
  text: string,
  paste: PasteFlags | undefined,
): Promise<AudienceRecord> {
  const { AudienceRecord } = await import('./schema.js');
  const record = parseStateJson(file, text, AudienceRecord, recordRepairHint(file, paste), RECORD_FORMATS);
  checkPlace(file, sandbox, key, record);
  return scrubFailureReasons(record);
}

function checkPlace(file: string, sandbox: string, key: string, record: AudienceRecord): void {
  if (record.sandbox !== sandbox || record.key !== key) {
    throw new StateReadError(
      'STATE_CORRUPT',
      `state file ${file} holds ${recordId(record.sandbox, record.key)}, but its path says ${recordId(sandbox, key)}`,
    );
  }
}
