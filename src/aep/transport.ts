import { RequestError, type Response } from 'got';
import type { z } from 'zod';
import { UsageError } from '../errors.js';
import { componentLogger } from '../component-logger.js';
import { callFacts, type CallState } from './call-state.js';
import { AepAuthError, AepError, aepErrorInit, isNotFoundAnswer } from './errors.js';
import { createHttp, type AttemptResult } from './http.js';
import { AnswerTooLargeError, cappedAnswer } from './answer-cap.js';
import {
  abortedError,
  badResponse,
  httpError,
  networkError,
  redirectAnswer,
  tooLargeAnswer,
  unsettled,
} from './http-error.js';
import { DEFAULT_IMS_URL } from './ims-defaults.js';
import { ImsToken, ImsTokens } from './ims-token.js';
import {
  DEFAULT_BASE_URL,
  DEFAULT_TIMEOUTS,
  type AepClientOptions,
  type AepEndpoint,
  type AepRequestEvent,
  type SandboxAccess,
} from './options.js';
import { RequestBudgets } from './request-budget.js';
import { sleep } from './abort.js';
import { backoffDelay, DEFAULT_RETRY } from './retry-policy.js';
import { ServiceClock } from './service-clock.js';
import { AskedWaits, type AskedWait } from './asked-waits.js';
import { StatsRecorder, type AepClientStats } from './stats.js';
import { headerText, neverConnected, requestErrorParts } from './transport-error.js';
import type { CallOptions } from './types.js';
import { shownPath } from './answer-key.js';
import { escapeText } from '../text/safe-text.js';

export type ApiRequest = {
  endpoint: AepEndpoint;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Relative to the base URL, without a leading slash. */
  path: string;
  json?: unknown;
  searchParams?: Record<string, string | number> | URLSearchParams;
  /** `segment`: the Segmentation Service (Audiences API) beside the base URL. Default the base URL. */
  api?: 'segment';
  /** A read sent as POST (bulk-get): retried, and failed, as a GET is. */
  readOnly?: boolean;
};

/** A success as it came, for a caller that checks it itself (a DELETE's body is not JSON). */
export type SentAnswer = {
  status: number;
  body: string;
  requestId: string | undefined;
  attempts: number;
};

export type Transport = {
  /** Sends `request` for `sandbox`: token, headers, budget, retries; failures as AepError. */
  send: (sandbox: string, request: ApiRequest, options: CallOptions | undefined) => Promise<SentAnswer>;
  /** As `send`, and checks the answer with `schema` where it enters. */
  call: <S extends z.ZodType>(
    sandbox: string,
    request: ApiRequest,
    schema: S,
    options: CallOptions | undefined,
  ) => Promise<z.output<S>>;
  stats: () => AepClientStats;
  /** AEP's clock as its answers showed it. */
  clock: ServiceClock;
  /** The Audiences API's base URL the client sends to (`.../data/core/ups`, no trailing slash). */
  segmentUrl: string;
  /** The External Audiences API's base URL (`.../data/core/ais`, no trailing slash), for messages. */
  baseUrl: string;
  /** The token of `sandbox`'s client (AepClient.authenticate). */
  authenticate: (sandbox: string, options: CallOptions | undefined) => Promise<void>;
  /** The Retry-After a call of `sandbox`'s IMS org gave up on, while it lasts (AepClient.askedWait). */
  askedWait: (sandbox: string) => AskedWait | undefined;
};

/**
 * The plumbing under the client: one got instance, IMS tokens per client, a request
 * budget per sandbox, retries as retry-policy.ts decides, errors as AepError.
 */
export function createTransport(options: AepClientOptions): Transport {
  const baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const segmentUrl = (options.audiencesBaseUrl ?? segmentBaseUrl(baseUrl)).replace(/\/+$/, '');
  const imsUrl = options.imsUrl ?? DEFAULT_IMS_URL;
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const logger = options.logger ? componentLogger(options.logger, 'aep') : undefined;
  const recorder = new StatsRecorder();
  const clock = new ServiceClock();
  const askedWaits = new AskedWaits(retry.maxRetryAfterMs);

  function report(state: CallState, result: AttemptResult): void {
    const startedAt = state.attemptStartedAt;
    if (startedAt === undefined) return;
    state.attemptStartedAt = undefined;
    const event: AepRequestEvent = {
      sandbox: state.sandbox,
      endpoint: state.endpoint,
      method: state.method,
      attempt: state.attempts,
      // startedAt is on the request budget's clock (monotonic, systemClock).
      durationMs: performance.now() - startedAt,
      ...result,
    };
    recorder.request(event);
    options.onRequest?.(event);
  }

  const http = createHttp({
    baseUrl,
    timeouts: { ...DEFAULT_TIMEOUTS, ...options.timeouts },
    retry,
    logger,
    random: options.random ?? Math.random,
    report,
    onRateLimitWait: (sandbox, ms) => {
      recorder.wait(ms);
      options.onRateLimitWait?.(sandbox, ms);
    },
    clock,
    askedWaits,
    pauseOrg: (orgId, ms) => budgets.pauseGroup(orgId, ms),
  });
  const tokens = new ImsTokens(
    (credentials) =>
      new ImsToken({
        imsUrl,
        credentials,
        http,
        renewMarginMs: options.tokenRenewMarginMs,
        maxRetryAfterMs: retry.maxRetryAfterMs,
        logger,
        reconnectDelayMs: (attempt) => backoffDelay(attempt, retry, options.random ?? Math.random),
      }),
  );
  const budgets = new RequestBudgets(
    (sandbox) => accessFor(sandbox).budget,
    undefined,
    (sandbox) => accessFor(sandbox).credentials.orgId,
  );

  function accessFor(sandbox: string): SandboxAccess {
    const access = options.sandboxes?.[sandbox] ?? options.defaultAccess;
    if (access) return access;
    const known = Object.keys(options.sandboxes ?? {});
    throw new UsageError(
      'AEP_SANDBOX_UNKNOWN',
      `No AEP credentials for sandbox "${sandbox}": add it under "sandboxes:" in the config file${
        known.length > 0 ? ` (configured: ${known.join(', ')})` : ''
      }, or set AEP_CLIENT_ID, AEP_CLIENT_SECRET and AEP_ORG_ID for all sandboxes.`,
    );
  }

  async function exchange(sandbox: string, request: ApiRequest, callOptions: CallOptions | undefined) {
    const access = accessFor(sandbox);
    const signal = callOptions?.signal;
    const state: CallState = {
      sandbox,
      endpoint: request.endpoint,
      method: request.readOnly ? 'GET' : request.method,
      credentials: access.credentials,
      token: tokens.for(access.credentials),
      budget: budgets.for(sandbox),
      signal,
      once: callOptions?.once === true,
      attempts: 0,
      renewed: false,
      attemptStartedAt: undefined,
      awaitingAnswer: false,
      tokenUsed: undefined,
      lastRetryAfterMs: undefined,
      maxRetryAfterMs: retry.maxRetryAfterMs,
      lastFailure: undefined,
      unknownOutcome: undefined,
    };
    const send = (): Promise<Response<string>> =>
      state.budget.run<Response<string>>(
        () =>
          cappedAnswer(
            http(request.path, {
              method: request.method,
              responseType: 'text',
              context: { aep: state },
              ...(request.api === 'segment' ? { prefixUrl: segmentUrl } : {}),
              ...(request.json === undefined ? {} : { json: request.json }),
              ...(request.searchParams === undefined ? {} : { searchParams: request.searchParams }),
              ...(signal === undefined ? {} : { signal }),
            }),
          ),
        signal,
      );
    try {
      for (;;) {
        try {
          return { state, response: await send() };
        } catch (error) {
          // Node >= 24.20 fails a refused connection's retry outside got's retry loop
          // (got#2469): the request never left, so retrying it here is safe for any method.
          if (!neverConnected(error) || state.once || state.attempts > retry.limit || signal?.aborted)
            throw error;
          await sleep(backoffDelay(state.attempts, retry, options.random ?? Math.random), signal);
        }
      }
    } catch (error) {
      const awaitingAnswer = state.awaitingAnswer;
      report(state, { error: signal?.aborted ? 'ABORTED' : errorName(error) });
      throw keptUnknown(toAepError(error, state, awaitingAnswer), state);
    }
  }

  async function call<S extends z.ZodType>(
    sandbox: string,
    request: ApiRequest,
    schema: S,
    callOptions: CallOptions | undefined,
  ): Promise<z.output<S>> {
    const { state, response } = await exchange(sandbox, request, callOptions);
    const requestId = headerText(response.headers['x-request-id']);
    if (response.statusCode >= 300 && response.statusCode < 400)
      throw redirectAnswer(state, response.statusCode, headerText(response.headers.location), requestId);
    let json: unknown;
    try {
      json = JSON.parse(response.body);
    } catch {
      throw badResponse(state, response.statusCode, 'not JSON', requestId);
    }
    const parsed = schema.safeParse(json);
    if (parsed.success) return parsed.data;
    const problems = parsed.error.issues
      .slice(0, 3)
      // The service's keys and values (a runId quoted in a message) shown escaped: one line.
      .map((issue) => `${shownPath(issue.path) || 'body'}: ${escapeText(issue.message)}`)
      .join('; ');
    throw badResponse(state, response.statusCode, problems, requestId);
  }

  return {
    send: async (sandbox, request, callOptions) => {
      const { state, response } = await exchange(sandbox, request, callOptions);
      return {
        status: response.statusCode,
        body: response.body,
        requestId: headerText(response.headers['x-request-id']),
        attempts: state.attempts,
      };
    },
    call,
    clock,
    segmentUrl,
    baseUrl,
    authenticate: async (sandbox, callOptions) => {
      await tokens.for(accessFor(sandbox).credentials).get(callOptions?.signal);
    },
    askedWait: (sandbox) => {
      // The org's wait (AskedWaits); a sandbox with no credentials has none, its calls fail as such.
      const access = options.sandboxes?.[sandbox] ?? options.defaultAccess;
      return access === undefined ? undefined : askedWaits.of(access.credentials.orgId);
    },
    stats: () => {
      const bySandbox = Object.fromEntries(
        [...budgets.entries()].map(([name, budget]) => [name, budget.stats()]),
      );
      return recorder.snapshot(tokens.requests, bySandbox);
    },
  };
}

/** The Audiences API sits beside the External Audiences API: `.../data/core/ais` -> `.../data/core/ups`. */
export function segmentBaseUrl(baseUrl: string): string {
  return /\/ais$/.test(baseUrl) ? baseUrl.replace(/\/ais$/, '/ups') : new URL('../ups', `${baseUrl}/`).href;
}

function errorName(error: unknown): string {
  const parts = requestErrorParts(error);
  return parts.errorCode ?? (error instanceof Error ? error.name : 'error');
}

/** Every failure leaves as an AepError (or the UsageError of an unknown sandbox). */
function toAepError(error: unknown, state: CallState, awaitingAnswer: boolean): Error {
  if (error instanceof AepError || error instanceof UsageError) return error;
  // Errors thrown inside got's hooks (the token, an aborted wait) arrive wrapped.
  const inner = error instanceof RequestError ? error.cause : undefined;
  if (inner instanceof AepError || inner instanceof UsageError) return inner;
  // Cancelled in the wait for a retry (or during it): an earlier attempt's unknown outcome stands.
  if (state.signal?.aborted) return abortedError(state, awaitingAnswer, error, earlierUnknown(state));
  if (error instanceof AnswerTooLargeError) return tooLargeAnswer(error, state);
  return attemptError(error, state);
}

/** A failed attempt's error as the call's: the answer it got, or none (a network error, a timeout). */
function attemptError(error: unknown, state: CallState): Error {
  const parts = requestErrorParts(error);
  if (parts.status !== undefined) return httpError({ ...parts, status: parts.status }, state);
  if (error instanceof RequestError || parts.errorCode !== undefined)
    return networkError(parts, state, error);
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * What the first attempt that reached the service with its outcome unknown got (a 5xx, no
 * answer: CallState.unknownOutcome), as an error; undefined when no attempt did.
 */
function earlierUnknown(state: CallState): AepError | undefined {
  if (state.unknownOutcome === undefined) return undefined;
  const earlier = attemptError(state.unknownOutcome, state);
  return earlier instanceof AepError ? earlier : undefined;
}

/**
 * Whether `error`, the failure that ended the call, settles an earlier attempt's unknown
 * outcome: for a DELETE, the service's own 404 (a JSON body: AEP_NOT_FOUND) says the audience
 * is gone (deleteAudience reads it so, unless the runs list of an audience its fixed spelling
 * answers 404 for still answers: then it keeps the outcome unknown, keptIfUnknown). A success settles it too, and throws nothing here.
 */
function settles(error: AepError, state: CallState): boolean {
  return state.method === 'DELETE' && isNotFoundAnswer(error);
}

/**
 * A call that failed with its outcome known, after an attempt that reached the service with
 * its outcome unknown (a 5xx, no answer: CallState.unknownOutcome), was sent and may have
 * changed something, whatever ended it: its retries answered with a proxy's page, a refusal, a
 * 429 until they ran out, the service's own 404 of a PATCH (the audience not found now), or
 * none sent (IMS refused the token a retry needed: AEP_AUTH before the retry left). The error
 * keeps that (http-error.ts unsettled). Only an answer that settles it (settles) is thrown as
 * it is, carrying that attempt's error (earlierUnknown) for a caller that finds it does not
 * settle it after all. A cancellation says the same in abortedError.
 */
function keptUnknown(error: Error, state: CallState): Error {
  if (!(error instanceof AepError) || error.outcomeUnknown) return error;
  const earlier = earlierUnknown(state);
  if (earlier === undefined) return error;
  if (settles(error, state)) return new AepError({ ...aepErrorInit(error), earlierUnknown: earlier });
  if (error instanceof AepAuthError) {
    return new AepAuthError({
      status: error.status,
      platformCode: undefined,
      requestId: earlier.requestId,
      outcomeUnknown: true,
      ...callFacts(state),
      message: `${earlier.message} It could not be retried: ${error.message}`,
      imsError: error.imsError,
      endedWith: error,
      cause: error,
    });
  }
  return unsettled(earlier, error, callFacts(state));
}
