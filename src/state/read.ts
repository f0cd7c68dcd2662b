import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { mapLimit } from './concurrency.js';
import { StateReadError, reasonOf } from './errors.js';
import { readMetaFile, readTextSync } from './read-json.js';
import type { AudienceRecord, RecordedState } from './schema.js';
import { audiencesDir, metaPath, recordPath } from './paths.js';
import { recordKeys, sandboxNames } from './record-names.js';
import { recordId } from './record-id.js';
import { fileVersion, type RecordVersions } from './record-version.js';
import type { PasteFlags } from '../text/paste-flags.js';
import { escapeText } from '../text/safe-text.js';

export { StateReadError } from './errors.js';

/** Sandbox directories listed at once. */
const LIST_CONCURRENCY = 16;
/**
 * Records read synchronously between two yields to the event loop: large enough to
 * be fast, small enough that a daemon still answers its probes during a big read.
 */
const READ_BATCH = 100;

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new StateReadError(
      'STATE_UNREADABLE',
      `cannot list state directory ${escapeText(dir)}: ${reasonOf(error)}`,
      {
        cause: error,
      },
    );
  }
}

/** Every `[sandbox, key]` with a record file, sorted. */
export async function listRecordIds(dir: string): Promise<Array<[sandbox: string, key: string]>> {
  const root = audiencesDir(dir);
  const sandboxes = sandboxNames(await listDir(root));
  const perSandbox = await mapLimit(sandboxes, LIST_CONCURRENCY, async (sandbox) =>
    recordKeys(await listDir(path.join(root, sandbox))).map((key): [string, string] => [sandbox, key]),
  );
  return perSandbox.flat();
}

/** The keys with a record file in `sandbox`, sorted; none when its folder is not there. */
export async function listSandboxKeys(dir: string, sandbox: string): Promise<string[]> {
  return recordKeys(await listDir(path.join(audiencesDir(dir), sandbox)));
}

/** Reads a whole state directory. A missing directory is an empty state. */
export async function readState(
  dir: string,
  /** The flags a corrupt record's repair commands carry (src/text/paste-flags.ts). */
  paste?: PasteFlags,
  /** Given: each record's version as read (its file's stats, taken as it was opened), by recordId. */
  versions?: RecordVersions,
): Promise<RecordedState> {
  const [meta, ids] = await Promise.all([readMetaFile(metaPath(dir)), listRecordIds(dir)]);
  if (ids.length === 0) return { meta, audiences: [] };
  // The records' reader (zod is loaded only for a record its fast validator leaves).
  const { parseRecordText } = await import('./read-record.js');
  const audiences: AudienceRecord[] = [];
  for (let start = 0; start < ids.length; start += READ_BATCH) {
    if (start > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const [sandbox, key] of ids.slice(start, start + READ_BATCH)) {
      const file = recordPath(dir, sandbox, key);
      const text = readTextSync(
        file,
        versions && ((info) => versions.set(recordId(sandbox, key), fileVersion(info))),
      );
      // A file removed between listing and reading is simply gone.
      if (text !== undefined) audiences.push(await parseRecordText(file, sandbox, key, text, paste));
    }
  }
  return { meta, audiences };
}
