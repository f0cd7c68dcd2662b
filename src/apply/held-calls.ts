import { AepError } from '../aep/errors.js';
import type { AepClient } from '../aep/types.js';

/** The client's calls that may change something at the service. */
const MUTATIONS = new Set<string | symbol>(['createAudience', 'patchAudience', 'startRun', 'deleteAudience']);

/**
 * What a watched client answers for this key: the client it watches. Whatever is shared per
 * client (one clock read for the creates sent at once: service-time.ts) is shared by the steps'
 * watched clients too, not made once per step.
 */
export const WATCHED = Symbol("the client a step's calls are watched on");

/** The client `client` watches, if it is a step's watched client; else `client` itself. */
export function unwatched(client: object): object {
  return (client as { [WATCHED]?: object })[WATCHED] ?? client;
}

const isHeld = (error: unknown): error is AepError => error instanceof AepError && error.code === 'AEP_HELD';

/** A step's client, and whether the step's calls were held (AEP_HELD) with no change sent. */
export type WatchedCalls = {
  client: AepClient;
  /** A call of the step was held, and none that may change something was sent: the hold, if so. */
  heldOnly(): AepError | undefined;
};

/**
 * Watches the calls of one step: a step under way when the service asked its sandbox to wait
 * (another step's 429 or 503: asked-waits.ts) fails on the call the client held back, not sent.
 * The executor reports it blocked as the steps not yet begun are (asked-wait-hold.ts), unless a
 * call of it that may have changed something was sent (answered, refused, its outcome unknown):
 * then it failed, as it says.
 */
export function watchHeldCalls(client: AepClient): WatchedCalls {
  let held: AepError | undefined;
  let mutated = false;
  const watched = new Proxy(client, {
    get(target, property, receiver) {
      if (property === WATCHED) return target;
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        const returned: unknown = Reflect.apply(value, target, args);
        if (!(returned instanceof Promise)) return returned;
        return returned.then(
          (answer: unknown) => {
            if (MUTATIONS.has(property)) mutated = true;
            return answer;
          },
          (error: unknown) => {
            if (isHeld(error)) held ??= error;
            else if (MUTATIONS.has(property)) mutated = true;
            throw error;
          },
        );
      };
    },
  });
  return { client: watched, heldOnly: () => (mutated ? undefined : held) };
}
