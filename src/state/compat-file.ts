import { compatKey, withLearned } from '../aep/compat-choices.js';
import type { CompatChoices, LearnedChoice } from '../aep/compat-schema.js';
import type { CompatFile } from './compat-file-schema.js';
import { writeFileDurable } from './durable-fs.js';
import { compatPath } from './paths.js';
import { parseStateJson, readStateText } from './read-json.js';

// `compat.json` of a state directory: what the client learned about the readings of the API
// page, per base URL (src/aep/compat.ts), so that the next process does not probe again.
// A cache, not state: no lock, no serial, and deleting it only costs a probe.

const COMPAT_REPAIR_HINT = 'delete it: audiencectl learns the readings again on the next calls';

/**
 * The file, validated; undefined when there is none. Its schema (zod's) is loaded for a file
 * only: every command that opens a directory store and connects read it, most with no file.
 */
async function readCompat(dir: string): Promise<CompatFile | undefined> {
  const file = compatPath(dir);
  const text = await readStateText(file);
  if (text === undefined) return undefined;
  const { CompatFile } = await import('./compat-file-schema.js');
  return parseStateJson(file, text, CompatFile, COMPAT_REPAIR_HINT);
}

/** What is remembered for `baseUrl`; `{}` when nothing. A corrupt file is a StateReadError. */
export async function readCompatFile(dir: string, baseUrl: string): Promise<CompatChoices> {
  const key = compatKey(baseUrl);
  if (key === '') return {};
  const file = await readCompat(dir);
  return file?.baseUrls[key] ?? {};
}

/**
 * Writes of one store, one at a time (read, merge, atomic replace), so that choices learned
 * at once in one process are all kept. Between processes the last writer wins: a choice lost
 * that way is probed again.
 */
export class CompatFileWriter {
  #chain: Promise<void> = Promise.resolve();

  remember(dir: string, baseUrl: string, learned: LearnedChoice): Promise<void> {
    const key = compatKey(baseUrl);
    if (key === '') return Promise.resolve();
    const write = this.#chain.then(async () => {
      // A corrupt copy is replaced: it only held what can be learned again.
      const current = await readCompat(dir).catch(() => undefined);
      const baseUrls = current?.baseUrls ?? {};
      const next: CompatFile = {
        schemaVersion: 1,
        baseUrls: { ...baseUrls, [key]: withLearned(baseUrls[key] ?? {}, learned) },
      };
      await writeFileDurable(compatPath(dir), `${JSON.stringify(next, null, 2)}\n`);
    });
    this.#chain = write.catch(() => undefined);
    return write;
  }
}
