import { setMaxListeners } from 'node:events';
import type { AepClient, CallOptions } from '../aep/types.js';
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
 * A call's own signal is heeded only when it aborts while the controller is not stopping:
 * the pass lost the state lock (a directory store's, taken over), and another process may
 * be settling its intents, so nothing it queued may go out, whatever the grace period.
 */
export function shieldCalls(client: AepClient, options: ShieldOptions): AepClient {
  const { stop, cutoff } = options;
  const gates = new Map<string, Gate>();
  const size = options.inFlightPerSandbox ?? DEFAULT_IN_FLIGHT_PER_SANDBOX;
  function through<T>(
    sandbox: string,
    given: CallOptions | undefined,
    call: (signal: { signal: AbortSignal }) => Promise<T>,
  ): Promise<T> {
    let gate = gates.get(sandbox);
    if (!gate) gates.set(sandbox, (gate = new Gate(size, stop)));
    const pass = given?.signal;
    return gate.run(stop, () =>
      pass ? cutUnlessStopping(pass, (signal) => call({ signal })) : call({ signal: cutoff }),
    );
  }

  /** `call` with a signal aborted at the cutoff, or when `pass` aborts while the controller is not stopping. */
  async function cutUnlessStopping<T>(
    pass: AbortSignal,
    call: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const own = new AbortController();
    // One call may fan out on this signal: bulk-get looks up each audience its answer left
    // out, a request at a time per slot of the budget, and each request in flight listens to
    // it (got, the budget's admission, a retry's sleep). Past 10, Node would print a
    // MaxListenersExceededWarning; they are many, not leaked: each goes when its request ends.
    setMaxListeners(0, own.signal);
    const onCutoff = () => own.abort(cutoff.reason);
    const onPass = () => {
      if (!stop.aborted) own.abort(pass.reason);
    };
    if (cutoff.aborted) onCutoff();
    else if (pass.aborted) onPass();
    cutoff.addEventListener('abort', onCutoff, { once: true });
    pass.addEventListener('abort', onPass, { once: true });
    try {
      own.signal.throwIfAborted();
      return await call(own.signal);
    } finally {
      cutoff.removeEventListener('abort', onCutoff);
      pass.removeEventListener('abort', onPass);
    }
  }
  return {
    orgOf: (sandbox) => client.orgOf(sandbox),
    createAudience: (sandbox, body, given) =>
      through(sandbox, given, (o) => client.createAudience(sandbox, body, o)),
    getOperation: (sandbox, id, given) => through(sandbox, given, (o) => client.getOperation(sandbox, id, o)),
    patchAudience: (sandbox, id, body, given) =>
      through(sandbox, given, (o) => client.patchAudience(sandbox, id, body, o)),
    startRun: (sandbox, id, body, given) =>
      through(sandbox, given, (o) => client.startRun(sandbox, id, body, o)),
    getRun: (sandbox, id, runId, given) =>
      through(sandbox, given, (o) => client.getRun(sandbox, id, runId, o)),
    listRuns: (sandbox, id, given) => through(sandbox, given, (o) => client.listRuns(sandbox, id, o)),
    deleteAudience: (sandbox, id, given) =>
      through(sandbox, given, (o) => client.deleteAudience(sandbox, id, o)),
    listAudiences: (sandbox, query, given) =>
      through(sandbox, given, (o) => client.listAudiences(sandbox, query, o)),
    getAudience: (sandbox, id, given) => through(sandbox, given, (o) => client.getAudience(sandbox, id, o)),
    bulkGetAudiences: (sandbox, ids, options) =>
      through(sandbox, options, (o) => client.bulkGetAudiences(sandbox, ids, { ...options, ...o })),
    findAudiencesByName: (sandbox, name, given) =>
      through(sandbox, given, (o) => client.findAudiencesByName(sandbox, name, o)),
    findAudiencesNameContains: (sandbox, part, given) =>
      through(sandbox, given, (o) => client.findAudiencesNameContains(sandbox, part, o)),
    listInactiveAudiences: (sandbox, given) =>
      through(sandbox, given, (o) => client.listInactiveAudiences(sandbox, o)),
    // IMS's, not AEP's: no call of the sandbox's budget to hold at the gate.
    authenticate: (sandbox, given) => client.authenticate(sandbox, given),
    // A reading, not a call: never gated.
    serviceClock: () => client.serviceClock?.(),
    askedWait: (sandbox) => client.askedWait?.(sandbox),
  };
}
