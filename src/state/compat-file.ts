import { z } from 'zod';
import { CompatChoices, compatKey, withLearned, type LearnedChoice } from '../aep/compat-schema.js';
import { writeFileDurable } from './durable-fs.js';
import { compatPath } from './paths.js';
import { readJsonFile } from './read-json.js';

/**
 * `compat.json` of a state directory: what the client learned about the readings of the API
 * page, per base URL (src/aep/compat.ts), so that the next process does not probe again.
 * A cache, not state: no lock, no serial, and deleting it only costs a probe.
 */
export const CompatFile = z.object({
  schemaVersion: z.literal(1),
  /** By base URL (compatKey: no user info, no query). */
  baseUrls: z.record(z.string(), CompatChoices),
});
export type CompatFile = z.infer<typeof CompatFile>;

const COMPAT_REPAIR_HINT = 'delete it: audiencectl learns the readings again on the next calls';

/** What is remembered for `baseUrl`; `{}` when nothing. A corrupt file is a StateReadError. */
export async function readCompatFile(dir: string, baseUrl: string): Promise<CompatChoices> {
  const key = compatKey(baseUrl);
  if (key === '') return {};
  const file = await readJsonFile(compatPath(dir), CompatFile, COMPAT_REPAIR_HINT);
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
      const current = await readJsonFile(compatPath(dir), CompatFile, COMPAT_REPAIR_HINT).catch(
        () => undefined,
      );
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
