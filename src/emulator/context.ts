import type { Recorder } from './counters.js';
import type { EndpointName } from './endpoints.js';
import type { EmulatorClient } from './options.js';
import type { TokenBuckets } from './rate-limit.js';
import type { Runtime } from './service-context.js';
import type { TokenSigner } from './tokens.js';

/** An API request about to be answered: the handler has run, so a mutation is already applied. */
export type ObservedRequest = {
  endpoint: EndpointName;
  method: string;
  /** The path and query as received (`/data/core/ups/audiences?start=0&limit=50`): what the client asked for. */
  url: string;
  sandbox: string | undefined;
  status: number;
};

/**
 * Told of each answered API request before its answer leaves; the answer waits for a
 * returned promise. Crash tests use it to kill a client at an exact request.
 */
export type RequestObserver = (request: ObservedRequest) => void | Promise<void>;

/** Everything the HTTP layer needs, built once by `startEmulator`. */
export type EmulatorContext = {
  observers: Set<RequestObserver>;
  runtime: Runtime;
  signer: TokenSigner;
  clients: ReadonlyMap<string, EmulatorClient>;
  buckets: TokenBuckets;
  recorder: Recorder;
};
