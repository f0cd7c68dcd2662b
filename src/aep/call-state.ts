import type { AepCredentials } from './credentials.js';
import type { ImsToken } from './ims-token.js';
import type { AepEndpoint } from './options.js';
import type { RequestBudget } from './request-budget.js';
import type { AttemptFailure } from './retry-policy.js';

/** One client call across its HTTP attempts; travels in got's `context.aep`. */
export type CallState = {
  sandbox: string;
  endpoint: AepEndpoint;
  method: string;
  credentials: AepCredentials;
  token: ImsToken;
  budget: RequestBudget;
  signal: AbortSignal | undefined;
  /** One attempt, no retry (CallOptions.once). */
  once: boolean;
  /** HTTP attempts started. */
  attempts: number;
  /** The refused token was renewed once (a 401 gets one renewal and one retry). */
  renewed: boolean;
  /** Start of the attempt in flight, until its event is reported. */
  attemptStartedAt: number | undefined;
  /** The attempt in flight was sent and has no answer yet: an abort or a network error leaves its outcome open. */
  awaitingAnswer: boolean;
  tokenUsed: string | undefined;
  lastRetryAfterMs: number | undefined;
  /** The policy's retry.maxRetryAfterMs: a longer Retry-After is not waited for, and the error says so. */
  maxRetryAfterMs: number;
  lastFailure: AttemptFailure | undefined;
  /**
   * got's error of the first attempt that reached the service and left the outcome unknown (a
   * 5xx, no answer after it left): whatever the attempts after it get, the call may have changed
   * something (a proxy's page, a refusal, a 429 on every retry, a retry IMS keeps unsent: none
   * takes it back; transport.ts keptUnknown).
   */
  unknownOutcome: unknown;
};

export function callStateOf(
  options: { context: Record<string, unknown> } | undefined,
): CallState | undefined {
  const state = options?.context['aep'];
  return typeof state === 'object' && state !== null ? (state as CallState) : undefined;
}

/** What every error of a call names of it: its sandbox, endpoint, method and attempts. */
export function callFacts(state: CallState): Pick<CallState, 'sandbox' | 'endpoint' | 'method' | 'attempts'> {
  return { sandbox: state.sandbox, endpoint: state.endpoint, method: state.method, attempts: state.attempts };
}
