import got, { type AfterResponseHook, type BeforeRequestHook, type Got, type RetryFunction } from 'got';
import type { Logger } from '../log.js';
import { callFacts, callStateOf, type CallState } from './call-state.js';
import { readErrorBody, type ErrorBodyInfo } from './error-body.js';
import { AepError } from './errors.js';
import type { AepTimeouts } from './options.js';
import { proxyAgents } from './proxy.js';
import type { ServiceClock } from './service-clock.js';
import { heldSandboxText, type AskedWaits } from './asked-waits.js';
import {
  askedWait,
  backoffDelay,
  decideRetry,
  isNetworkFailure,
  isOutcomeUnknown,
  retryAfterOf,
  type AttemptFailure,
  type RetryPolicy,
} from './retry-policy.js';
import { headerText, requestErrorParts } from './transport-error.js';

export type AttemptResult = { status?: number; platformCode?: string; error?: string };

export type HttpDeps = {
  baseUrl: string;
  timeouts: AepTimeouts;
  retry: RetryPolicy;
  logger: Logger | undefined;
  random: () => number;
  /** Reports the attempt in flight of `state` (once). */
  report: (state: CallState, result: AttemptResult) => void;
  onRateLimitWait: (sandbox: string, ms: number) => void;
  /**
   * Learns AEP's clock from the Date header of every API answer that is AEP's: a success, or an
   * error in AEP's JSON (IMS answers are another host's).
   */
  clock: ServiceClock;
  /** The waits the service asked of each IMS org that no call takes: calls are held through them. */
  askedWaits: AskedWaits;
  /**
   * Pauses the requests of every sandbox of the IMS org for `ms` (a 429's short pause): AEP
   * throttles the org, so its other sandboxes' calls, sent at once, would each earn a 429 too.
   */
  pauseOrg: (orgId: string, ms: number) => void;
};

const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE'] as const;
/** IMS token requests are safe to repeat; a couple of tries cover a blip. */
const IMS_RETRIES = 2;

/** 401, and the 400 100911 an expired token gets, may be cured by a new token; wrong org or client may not. */
export function isTokenRefusal(status: number, platformCode: string | undefined): boolean {
  if (status === 401) return platformCode !== '100921-401' && platformCode !== '100922-401';
  return status === 400 && platformCode === '100911-400';
}

/**
 * Whether an answer is the service's own, so its Date header is AEP's clock. A machine in
 * between answers with its own clock: a proxy's or load balancer's error page (an HTML 502, an
 * empty 503, a 407, or the JSON of a gateway of its own: AWS's `{"message": …}`, Kong's, Apigee's
 * `{"fault": …}`), a redirect (to a captive portal's login), or that login page itself. Taken as
 * AEP's, it would time runs and the lookup of a lost create. So: a success (2xx) that is no HTML
 * page, or an error in one of the service's two shapes (platform or gateway: readErrorBody) with
 * a code of AEP's; an answer left out only costs a reading, which the next one gives.
 */
/** The form of the page's error codes: the platform's `100950-409`, the gateway's `401013`. */
const AEP_CODE = /^\d{6}(-\d{3})?$/;
/**
 * The form of AEP's letter-prefixed codes (the Edge Network's `EXEG-0104-422`): a service
 * prefix, a number, the status. Counted only as the `type` of AEP's namespace names it.
 */
const AEP_LETTER_CODE = /^[A-Z]{2,8}-\d{4}-\d{3}$/;

function isServiceAnswer(
  response: { statusCode: number; headers: Record<string, string | string[] | undefined> },
  info: ErrorBodyInfo | undefined,
): boolean {
  // With a code of AEP's form (`100950-409`, the gateway's `401013`), where the shape's fields put
  // it: an intermediary's own RFC 7807 problem (Spring's, ASP.NET's `type: "about:blank"`, one
  // of `…/errors/upstream-timeout` or a `code` of its own) has the shape, not AEP's code. A
  // letter-prefixed code is a form an intermediary may use too: only in AEP's namespace.
  if (info !== undefined) {
    if (info.shape === 'gateway') return AEP_CODE.test(info.platformCode ?? '');
    if (info.shape !== 'platform') return false;
    return AEP_CODE.test(info.platformCode ?? '') || AEP_LETTER_CODE.test(info.aepTypeCode ?? '');
  }
  if (response.statusCode >= 300) return false;
  return !/html/i.test(headerText(response.headers['content-type']) ?? '');
}

/**
 * The one got instance of a client. got's retry engine repeats attempts; `calculateDelay`
 * applies audiencectl's policy (retry-policy.ts) instead of got's method/status lists,
 * `beforeRequest` adds the token and headers and passes each attempt through the sandbox's
 * budget, `afterResponse` reports it, pauses the sandbox on 429 and renews a refused token.
 */
export function createHttp(deps: HttpDeps): Got {
  const { timeouts } = deps;

  /**
   * Refuses the attempt, before it leaves, while the service's answer to another call of the
   * org (any of its sandboxes) asks it to wait longer than retry.maxRetryAfterMs (AskedWaits).
   */
  const holdIfAsked = (state: CallState): void => {
    const wait = deps.askedWaits.of(state.credentials.orgId);
    if (wait === undefined) return;
    throw new AepError({
      code: 'AEP_HELD',
      message: `The call ${state.endpoint} in sandbox "${state.sandbox}" was not sent: ${heldSandboxText(state.sandbox, wait)}.`,
      retryAfterMs: wait.retryAfterMs,
      ...callFacts(state),
    });
  };

  const beforeRequest: BeforeRequestHook = async (options) => {
    const state = callStateOf(options);
    if (!state) return;
    holdIfAsked(state);
    // Token first, window second: the recorded start is as close to the send as possible.
    const token = await state.token.get(state.signal);
    state.tokenUsed = token;
    options.headers['authorization'] = `Bearer ${token}`;
    options.headers['x-api-key'] = state.credentials.clientId;
    options.headers['x-gw-ims-org-id'] = state.credentials.orgId;
    options.headers['x-sandbox-name'] = state.sandbox;
    const admission = await state.budget.admit(state.signal);
    if (admission.waitedMs > 0) deps.onRateLimitWait(state.sandbox, admission.waitedMs);
    // Another call's answer may have asked for the wait while this one waited for its turn.
    holdIfAsked(state);
    state.attempts += 1;
    state.attemptStartedAt = admission.at;
    state.awaitingAnswer = true;
  };

  const afterResponse: AfterResponseHook = (response, retryWithMergedOptions) => {
    const state = callStateOf(response.request.options);
    if (!state) return response;
    const arrivedMs = Date.now();
    state.awaitingAnswer = false;
    const status = response.statusCode;
    const body: unknown = response.body;
    const info = status >= 400 ? readErrorBody(typeof body === 'string' ? body : undefined) : undefined;
    if (isServiceAnswer(response, info)) deps.clock.dateHeader(headerText(response.headers.date), arrivedMs);
    deps.report(
      state,
      info?.platformCode === undefined ? { status } : { status, platformCode: info.platformCode },
    );
    const retryAfter = status === 429 || status >= 500 ? retryAfterOf(response.headers) : undefined;
    // Taken in as it arrives, before this call gives up on it: a call of the sandbox whose turn
    // comes next is held already (beforeRequest), not sent after a pause of maxRetryAfterMs.
    const orgId = state.credentials.orgId;
    if (retryAfter !== undefined && deps.askedWaits.answered(orgId, state.sandbox, status, retryAfter)) {
      if (status === 429) state.lastRetryAfterMs = retryAfter;
      deps.logger?.warn(
        { sandbox: state.sandbox, endpoint: state.endpoint, status, retryAfterMs: retryAfter },
        "AEP asked for a wait longer than retry.maxRetryAfterMs; the calls of the org's sandboxes are held until it is over",
      );
    } else if (status === 429) {
      state.lastRetryAfterMs = retryAfter;
      // A Retry-After asking for no wait pauses as none does (askedWait).
      const pauseMs = Math.min(
        askedWait(retryAfter) ?? deps.retry.rateLimitPauseMs,
        deps.retry.maxRetryAfterMs,
      );
      deps.pauseOrg(orgId, pauseMs);
      deps.logger?.warn(
        { sandbox: state.sandbox, endpoint: state.endpoint, pauseMs, retryAfterMs: retryAfter },
        "AEP rate limit reached; the org's sandboxes paused",
      );
    }
    if (!state.renewed && state.tokenUsed !== undefined && isTokenRefusal(status, info?.platformCode)) {
      state.renewed = true;
      state.token.invalidate(state.tokenUsed);
      deps.logger?.info(
        { sandbox: state.sandbox, endpoint: state.endpoint, status, platformCode: info?.platformCode },
        'AEP refused the access token; renewing it and retrying once',
      );
      return retryWithMergedOptions({ preserveHooks: true });
    }
    return response;
  };

  const calculateDelay: RetryFunction = ({ error, attemptCount }) => {
    // The one retry after a token renewal, asked for by afterResponse.
    if (error.name === 'RetryError') return 1;
    const state = callStateOf(error.options);
    const parts = requestErrorParts(error);
    if (!state) return imsDelay(parts, attemptCount, deps);
    const failure: AttemptFailure = {
      method: state.method,
      status: parts.status,
      errorCode: parts.errorCode,
      timeoutEvent: parts.timeoutEvent,
      retryAfterMs: parts.status === undefined ? undefined : retryAfterOf(parts.headers),
    };
    if (parts.status === undefined) deps.report(state, { error: parts.errorCode ?? error.name });
    state.lastFailure = failure;
    // Answered, or left without an answer; not failed before it left (beforeRequest's token).
    const sent =
      parts.status !== undefined ||
      parts.bodyLost !== undefined ||
      (state.awaitingAnswer && !(error.cause instanceof AepError));
    if (sent && isOutcomeUnknown(failure)) state.unknownOutcome ??= error;
    if (state.once) return 0;
    const retry = state.attempts - (state.renewed ? 1 : 0);
    const decision = decideRetry(failure, retry, deps.retry, deps.random);
    if (!decision.retry) return 0;
    deps.logger?.debug(
      {
        sandbox: state.sandbox,
        endpoint: state.endpoint,
        status: parts.status,
        error: parts.errorCode,
        retry,
        delayMs: decision.delayMs,
      },
      'AEP request failed; retrying',
    );
    // A 429 paused the org's sandboxes (afterResponse): the retry waits for it at the gate.
    return parts.status === 429 ? 1 : decision.delayMs;
  };

  const agent = proxyAgents(process.env);
  return got.extend({
    prefixUrl: deps.baseUrl,
    // Behind an egress proxy, as git is (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).
    ...(agent === undefined ? {} : { agent }),
    timeout: {
      lookup: timeouts.lookupMs,
      connect: timeouts.connectMs,
      secureConnect: timeouts.secureConnectMs,
      socket: timeouts.socketMs,
      send: timeouts.sendMs,
      response: timeouts.responseMs,
      request: timeouts.requestMs,
    },
    retry: {
      limit: deps.retry.limit + 1,
      methods: [...ALL_METHODS],
      statusCodes: [408, 429, 500, 502, 503, 504],
      calculateDelay,
    },
    // Never followed: got sends a redirect's request through beforeRequest again, which sets the
    // bearer token even for another host, and a 307 to IMS would send the client secret on. The
    // API and IMS do not redirect; a 3xx is an answer the call cannot use (a failed call).
    followRedirect: false,
    headers: { accept: 'application/json', 'user-agent': 'audiencectl' },
    hooks: { beforeRequest: [beforeRequest], afterResponse: [afterResponse] },
  });
}

function imsDelay(parts: ReturnType<typeof requestErrorParts>, attemptCount: number, deps: HttpDeps): number {
  if (attemptCount > IMS_RETRIES) return 0;
  const status = parts.status;
  const retryable =
    status === undefined
      ? isNetworkFailure({ method: 'POST', errorCode: parts.errorCode })
      : status === 429 || status >= 500;
  if (!retryable) return 0;
  const retryAfter = askedWait(retryAfterOf(parts.headers));
  if (retryAfter !== undefined) return retryAfter > deps.retry.maxRetryAfterMs ? 0 : retryAfter;
  return Math.max(backoffDelay(attemptCount, deps.retry, deps.random), 1);
}
