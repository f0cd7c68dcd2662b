import type { StateStore } from '../../src/state/store.js';

/** What an apply says of a create it holds while an earlier POST of it may land (steps/create-hold.ts). */
export const HELD_CREATE = 'held: an earlier POST of this create';

const WAIT_MS = 20 * 60_000;

/**
 * What an operator told "not sent again before …" does: waits. Here the records of the creates
 * under way are made 20 minutes older instead (their times, in this host's clock and in AEP's,
 * moved back as much): the next apply sends what it held, once, or adopts what it finds.
 */
export async function waitOutHeldCreates(store: StateStore): Promise<void> {
  const earlier = (at: string) => new Date(Date.parse(at) - WAIT_MS).toISOString();
  const earlierAep = (ms: number | undefined) => (ms === undefined ? {} : { earliestAepMs: ms - WAIT_MS });
  await store.lock();
  try {
    for (const record of (await store.readAll()).audiences) {
      const { intent, pendingCreate } = record;
      if (intent?.kind !== 'create') continue;
      const repeated = pendingCreate?.repeated;
      await store.put({
        ...record,
        intent: { ...intent, startedAt: earlier(intent.startedAt) },
        ...(pendingCreate
          ? {
              pendingCreate: {
                ...pendingCreate,
                ...earlierAep(pendingCreate.earliestAepMs),
                ...(repeated
                  ? {
                      repeated: {
                        ...repeated,
                        at: earlier(repeated.at),
                        ...earlierAep(repeated.earliestAepMs),
                      },
                    }
                  : {}),
              },
            }
          : {}),
      });
    }
  } finally {
    await store.unlock();
  }
}
