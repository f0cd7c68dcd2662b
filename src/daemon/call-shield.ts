import type { AepClient } from '../aep/types.js';
import { AudiencectlError } from '../errors.js';

/** Calls let through per sandbox at once. Default 8: at least the client's concurrency (4 by default). */
export const DEFAULT_IN_FLIGHT_PER_SANDBOX = 8;

/** The message of a StoppingError, which the executor copies into the step's result. */
export const STOPPING_MESSAGE = 'the controller is stopping; the call was not sent';

/**
 * A call refused because the controller is stopping: it was never sent, so its
 * outcome is known (nothing changed) and the step clears its intent.
 */
export class StoppingError extends AudiencectlError {
  override readonly name = 'StoppingError';
  readonly outcomeUnknown = false;

  constructor() {
    super('CONTROLLER_STOPPING', STOPPING_MESSAGE);
  }
}

/** A counting semaphore whose waiters are refused once `stop` aborts. */
class Gate {
  #free: number;
  readonly #waiting: Array<{ go: () => void; refuse: (error: Error) => void }> = [];

  constructor(size: number, stop: AbortSignal) {
    this.#free = size;
    stop.addEventListener('abort', () => {
      for (const waiter of this.#waiting.splice(0)) waiter.refuse(new StoppingError());
    });
  }

  async run<T>(stop: AbortSignal, call: () => Promise<T>): Promise<T> {
    if (stop.aborted) throw new StoppingError();
    if (this.#free > 0) this.#free -= 1;
    else await new Promise<void>((go, refuse) => this.#waiting.push({ go, refuse }));
    try {
      return await call();
    } finally {
      const next = this.#waiting.shift();
      if (next) next.go();
      else this.#free += 1;
    }
  }
}

export type ShieldOptions = {
  /** Aborted on shutdown: calls not let through yet are refused, never sent. */
  stop: AbortSignal;
  /** Aborted when the grace period runs out: calls let through are cut short. */
  cutoff: AbortSignal;
  /** Default DEFAULT_IN_FLIGHT_PER_SANDBOX. */
  inFlightPerSandbox?: number;
};

/**
 * The client as the daemon's executor sees it. The executor starts every audience's
 * steps at once and the client queues their calls behind the request budget; on
 * SIGTERM, the queued calls must not go out, while a call on the wire should finish so
 * its outcome is recorded rather than left as an intent to resolve. So calls pass a
 * gate of `inFlightPerSandbox` per sandbox: those still at the gate are refused on
 * stop, those through it are cancelled only by the cutoff (the end of the grace period).
 */
export function shieldCalls(client: AepClient, options: ShieldOptions): AepClient {
  const { stop, cutoff } = options;
  const gates = new Map<string, Gate>();
  const size = options.inFlightPerSandbox ?? DEFAULT_IN_FLIGHT_PER_SANDBOX;
  function through<T>(sandbox: string, call: (signal: { signal: AbortSignal }) => Promise<T>): Promise<T> {
    let gate = gates.get(sandbox);
    if (!gate) gates.set(sandbox, (gate = new Gate(size, stop)));
    return gate.run(stop, () => call({ signal: cutoff }));
  }
  return {
    orgOf: (sandbox) => client.orgOf(sandbox),
    createAudience: (sandbox, body) => through(sandbox, (o) => client.createAudience(sandbox, body, o)),
    getOperation: (sandbox, id) => through(sandbox, (o) => client.getOperation(sandbox, id, o)),
    patchAudience: (sandbox, id, body) => through(sandbox, (o) => client.patchAudience(sandbox, id, body, o)),
    startRun: (sandbox, id, body) => through(sandbox, (o) => client.startRun(sandbox, id, body, o)),
    getRun: (sandbox, id, runId) => through(sandbox, (o) => client.getRun(sandbox, id, runId, o)),
    listRuns: (sandbox, id) => through(sandbox, (o) => client.listRuns(sandbox, id, o)),
    deleteAudience: (sandbox, id) => through(sandbox, (o) => client.deleteAudience(sandbox, id, o)),
    listAudiences: (sandbox, query) => through(sandbox, (o) => client.listAudiences(sandbox, query, o)),
    getAudience: (sandbox, id) => through(sandbox, (o) => client.getAudience(sandbox, id, o)),
    bulkGetAudiences: (sandbox, ids, options) =>
      through(sandbox, (o) => client.bulkGetAudiences(sandbox, ids, { ...options, ...o })),
    findAudiencesByName: (sandbox, name) =>
      through(sandbox, (o) => client.findAudiencesByName(sandbox, name, o)),
    // A reading, not a call: never gated.
    serviceClock: () => client.serviceClock?.(),
  };
}
