import type { Caller } from './auth.js';
import type { EndpointName } from './endpoints.js';
import type { FaultKind } from './faults.js';

/** Per-request facts gathered on the way, for the counters and the request log. */
export type RequestState = {
  startedAtMs: number;
  endpoint: EndpointName;
  admin: boolean;
  caller: Caller | undefined;
  orgId: string | undefined;
  sandbox: string | undefined;
  fault: FaultKind | undefined;
  errorCode: string | undefined;
  /** Set once counted, so a dropped connection is not counted twice. */
  recorded: boolean;
};

declare module 'fastify' {
  interface FastifyRequest {
    emu: RequestState;
  }
  interface FastifyContextConfig {
    endpoint?: EndpointName;
    admin?: boolean;
  }
}
