import type { CompatOptions } from '../aep/compat.js';
import type { CompatChoices } from '../aep/compat-schema.js';
import type { CompatStore } from '../state/store.js';

/** The client's memory of the page's readings, kept in the state store between processes. */
export type CompatMemory = {
  /** For the client's `compat` option: what earlier processes learned, and where to keep what this one learns. */
  options: Pick<CompatOptions, 'remembered' | 'onLearn'>;
  /** Resolves once every learned choice is written (or failed, with a warning). */
  settled(): Promise<void>;
};

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Reads what was learned about `baseUrl` and writes each new choice back. The memory is a
 * cache: a copy that cannot be read or written is warned about once and costs a probe,
 * never a failed command. A store that cannot be opened (a PostgreSQL server refusing the
 * password, a schema not initialised) is the command's error, thrown as it is: warned
 * about as unreadable readings, it was printed twice, first as what it is not.
 */
export async function compatMemory(
  store: CompatStore,
  baseUrl: string,
  warn: (message: string) => void,
): Promise<CompatMemory> {
  let remembered: CompatChoices = {};
  await store.ready?.();
  try {
    remembered = await store.readCompat(baseUrl);
  } catch (error) {
    warn(
      `the remembered readings of the API page are unreadable, so they are learned again: ${reason(error)}`,
    );
  }
  const pending = new Set<Promise<void>>();
  let warned = false;
  return {
    options: {
      remembered,
      onLearn: (learned) => {
        const write = store.rememberCompat(baseUrl, learned).catch((error: unknown) => {
          if (!warned)
            warn(
              `cannot keep a learned reading of the API page (${reason(error)}); the next process probes again`,
            );
          warned = true;
        });
        pending.add(write);
        void write.then(() => pending.delete(write));
      },
    },
    settled: async () => {
      await Promise.all(pending);
    },
  };
}
