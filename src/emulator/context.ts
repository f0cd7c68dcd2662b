import type { Recorder } from './counters.js';
import type { EmulatorClient } from './options.js';
import type { TokenBuckets } from './rate-limit.js';
import type { Runtime } from './service-context.js';
import type { TokenSigner } from './tokens.js';

/** Everything the HTTP layer needs, built once by `startEmulator`. */
export type EmulatorContext = {
  runtime: Runtime;
  signer: TokenSigner;
  clients: ReadonlyMap<string, EmulatorClient>;
  buckets: TokenBuckets;
  recorder: Recorder;
};
