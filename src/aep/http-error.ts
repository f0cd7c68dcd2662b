import { redactText } from '../text/secrets.js';
import { safeUrl } from '../text/safe-url.js';
import { mebibytes, type AnswerTooLargeError } from './answer-cap.js';
import { callFacts, type CallState } from './call-state.js';
import { hintsOf } from './credentials.js';
import { readErrorBody } from './error-body.js';
import { AepError, plainCause, type AepErrorCode, type AepErrorInit } from './errors.js';
import { CHECK_ROUTE, foreignAnswer, isForeignAnswer } from './foreign-answer.js';
import { isOutcomeUnknown, retryAfterOf, type AttemptFailure } from './retry-policy.js';
import { headerText, proxyFailureText, proxyVariable, type TransportErrorParts } from './transport-error.js';

type Advice = { code: AepErrorCode; text: string };

/** What an error status and platform code mean for the user, and what to do. */
function advise(status: number, platformCode: string | undefined, state: CallState): Advice {
  const hints = hintsOf(state.credentials);
  const client = `client ${state.credentials.clientId}`;
  switch (platformCode) {
    case '100911-400':
      return {
        code: 'AEP_UNAUTHORIZED',
        text: `AEP refused the access token even after renewing it: check ${hints.imsUrl} (the IMS of this platform) and ${hints.clientId}`,
      };
    case '100920-401':
      return {
        code: 'AEP_UNAUTHORIZED',
        text: `AEP says a required header is missing: check ${hints.orgId} and the sandbox name`,
      };
    case '100921-401':
      return {
        code: 'AEP_UNAUTHORIZED',
        // A client of the sandbox's own with another's org: setting the shared key moves them all.
        text:
          hints.ownOrgId === undefined
            ? `AEP does not accept the organization: ${hints.orgId} must be the IMS org (…@AdobeOrg) of ${client}`
            : `AEP does not accept the organization: set ${hints.ownOrgId} to the IMS org (…@AdobeOrg) of ${client} (it is unset, so ${hints.orgId} is used, the org of the shared credentials)`,
      };
    case '100922-401':
      return {
        code: 'AEP_FORBIDDEN',
        text: `${client} is not allowed to use the External Audiences API: add the Experience Platform API with a product profile granting sandbox "${state.sandbox}" to the project of ${hints.clientId} in Adobe Developer Console`,
      };
    // Only with a JSON body (httpError): a 404 page of a proxy is no answer of the service.
    case '100940-404':
      return { code: 'AEP_NOT_FOUND', text: 'AEP has no such audience, operation or run in this sandbox' };
    case '100950-409':
      // The appendix's one conflict; a service may answer a run start with it while a run of
      // the audience is in progress (the page names no code for that refusal).
      if (state.endpoint === 'startRun')
        return {
          code: 'AEP_CONFLICT',
          text: 'AEP refused the run as a conflict (a run of this audience may be in progress)',
        };
      return { code: 'AEP_CONFLICT', text: 'An audience with this name already exists in the sandbox' };
    case '100960-422':
      return { code: 'AEP_UNPROCESSABLE', text: 'AEP could not process the request' };
    case '100910-400':
      return { code: 'AEP_BAD_REQUEST', text: 'AEP refused the request as invalid' };
    default:
      return adviseByStatus(status, state);
  }
}

function adviseByStatus(status: number, state: CallState): Advice {
  const hints = hintsOf(state.credentials);
  if (status === 401) {
    const renewed = state.renewed ? ' even after renewing the token' : '';
    return {
      code: 'AEP_UNAUTHORIZED',
      text: `AEP refused the credentials${renewed}: check ${hints.clientId}, ${hints.clientSecret} and ${hints.orgId}`,
    };
  }
  if (status === 403) {
    return {
      code: 'AEP_FORBIDDEN',
      text: `client ${state.credentials.clientId} is not allowed to do this: check that its product profile grants the External Audiences API in sandbox "${state.sandbox}" (${hints.clientId})`,
    };
  }
  if (status === 404) return { code: 'AEP_NOT_FOUND', text: 'AEP has no such resource in this sandbox' };
  if (status === 409) return { code: 'AEP_CONFLICT', text: 'AEP refused the request as a conflict' };
  if (status === 422) return { code: 'AEP_UNPROCESSABLE', text: 'AEP could not process the request' };
  if (status === 429) {
    return {
      code: 'AEP_RATE_LIMITED',
      text: 'AEP is throttling this organization; lower the request budget or retry later',
    };
  }
  if (status >= 500)
    return { code: 'AEP_SERVER_ERROR', text: 'AEP failed to process the request; retry later' };
  if (status >= 400) return { code: 'AEP_BAD_REQUEST', text: 'AEP refused the request' };
  return { code: 'AEP_HTTP_ERROR', text: 'AEP answered unexpectedly' };
}

function where(state: CallState): string {
  return `${state.endpoint} in sandbox "${state.sandbox}"`;
}

/**
 * Why an answer asking to be retried later was not (docs/configuration.md, Retries): its
 * Retry-After is past retry.maxRetryAfterMs. Without it the line read as any 429 or 5xx, and a
 * user could not tell a long throttle or maintenance from a setting to raise.
 */
function waitNotTaken(status: number, retryAfterMs: number | undefined, state: CallState): string {
  if (retryAfterMs === undefined || retryAfterMs <= state.maxRetryAfterMs) return '';
  if (status !== 429 && status < 500) return '';
  const seconds = (ms: number) => `${Math.ceil(ms / 1000)} s`;
  return ` It asked for a Retry-After of ${seconds(retryAfterMs)}, longer than retry.maxRetryAfterMs (${seconds(state.maxRetryAfterMs)}), so it was not waited for: retry after it, or raise that setting.`;
}

/** What precedes the service's own text in an error's message (compat.ts reads what follows). */
export const SERVICE_SAID = ' AEP said: ';

/** An error answer as an AepError with an actionable message. */
export function httpError(parts: TransportErrorParts & { status: number }, state: CallState): AepError {
  if (isForeignAnswer(parts.status, parts.body)) return foreignAnswer(parts, state);
  // Scrubbed before it is read and shortened: a secret cut at the 300th character no
  // longer matches, and its first part would be shown.
  const info = readErrorBody(parts.body === undefined ? undefined : redactText(parts.body));
  const advice = advise(parts.status, info.platformCode, state);
  const requestId = headerText(parts.headers?.['x-request-id']);
  const retryAfterMs = retryAfterOf(parts.headers);
  const facts = [`HTTP ${parts.status}`];
  if (info.platformCode !== undefined) facts.push(info.platformCode);
  if (requestId !== undefined) facts.push(`request id ${requestId}`);
  if (state.attempts > 1) facts.push(`${state.attempts} attempts`);
  const detail = info.details
    .slice(0, 5)
    .map((item) => (item.path === undefined ? item.message : `${item.path}: ${item.message}`))
    .join('; ');
  const said = info.message === undefined ? '' : `${SERVICE_SAID}${info.message}`;
  const listed = detail === '' || info.message?.includes(detail) ? '' : ` (${detail})`;
  const outcomeUnknown = isOutcomeUnknown({ method: state.method, status: parts.status });
  let unknown = '';
  if (outcomeUnknown) unknown = ' The change may or may not have been made.';
  else if (parts.status >= 500) unknown = ' Retry later.';
  // What the platform said may end without a full stop; a sentence of ours follows it.
  const quoted = `${said}${listed}`;
  const tooLong = waitNotTaken(parts.status, retryAfterMs, state);
  const closing = `${unknown}${tooLong}`;
  const ended = closing !== '' && quoted !== '' && !/[.!?]$/.test(quoted) ? `${quoted}.` : quoted;
  return new AepError({
    code: advice.code,
    message: redactText(`${advice.text} (${where(state)}; ${facts.join(', ')}).${ended}${closing}`),
    status: parts.status,
    platformCode: info.platformCode,
    requestId,
    outcomeUnknown,
    retryAfterMs: retryAfterMs ?? state.lastRetryAfterMs,
    ...callFacts(state),
    details: info.details.map((item) => ({ ...item, message: redactText(item.message) })),
  });
}

/** What became of an attempt that got no answer to act on. */
function failureText(parts: TransportErrorParts, timeout: boolean): string {
  const code = parts.errorCode ?? 'network error';
  if (parts.bodyLost !== undefined)
    return `AEP's answer (HTTP ${parts.bodyLost}) was cut before its end (${code})`;
  if (timeout) return `AEP did not answer in time (${parts.timeoutEvent ?? 'request'} timeout)`;
  return `Cannot reach AEP (${code})`;
}

/** No answer came (or a success's body was cut): a network error or a timeout. */
export function networkError(parts: TransportErrorParts, state: CallState, error: unknown): AepError {
  const failure: AttemptFailure = {
    method: state.method,
    errorCode: parts.errorCode,
    timeoutEvent: parts.timeoutEvent,
  };
  const outcomeUnknown = isOutcomeUnknown(failure);
  const timeout = parts.errorCode === 'ETIMEDOUT';
  const atProxy = proxyFailureText(parts);
  const what = atProxy ?? failureText(parts, timeout);
  // The setting the base URL came from: the file's baseUrl wins over AEP_BASE_URL (review-36a L-1).
  const check =
    atProxy === undefined ? hintsOf(state.credentials).baseUrl : `${proxyVariable(parts)} (or NO_PROXY)`;
  const unknown = outcomeUnknown ? ' The change may or may not have been made.' : '';
  return new AepError({
    code: timeout ? 'AEP_TIMEOUT' : 'AEP_NETWORK',
    message: `${what} (${where(state)}; ${state.attempts} attempt${state.attempts === 1 ? '' : 's'}): check ${check} and the network.${unknown}`,
    outcomeUnknown,
    ...callFacts(state),
    cause: plainCause(error, redactText),
  });
}

/**
 * An answer past MAX_ANSWER_BYTES, not read on (answer-cap.ts): no answer to act on, as a
 * network failure is, never the service's refusal nor an empty page. A change's outcome is
 * then unknown: its request reached something that answered.
 */
export function tooLargeAnswer(error: AnswerTooLargeError, state: CallState): AepError {
  const outcomeUnknown = isOutcomeUnknown({ method: state.method, errorCode: error.code });
  const status = error.status === undefined ? '' : ` (HTTP ${error.status})`;
  const attempts = `${state.attempts} attempt${state.attempts === 1 ? '' : 's'}`;
  return new AepError({
    code: 'AEP_NETWORK',
    message: `AEP's answer${status} was larger than ${mebibytes(error.maxBytes)}, more than any answer of the API, and was not read (${where(state)}; ${attempts}): check ${hintsOf(state.credentials).baseUrl} and any proxy in between.${outcomeUnknown ? ' The change may or may not have been made.' : ''}`,
    outcomeUnknown,
    ...callFacts(state),
    cause: plainCause(error, redactText),
  });
}

/**
 * The caller's signal aborted the call. `earlier`: what an attempt before it got that reached
 * the service and left the outcome unknown (a 5xx, no answer), the call cancelled in the wait
 * for its retry or during the retry: the change may have been made, whatever the retry did not
 * get to say. Said as that attempt's failure, then the cancellation.
 */
export function abortedError(
  state: CallState,
  inFlight: boolean,
  cause: unknown,
  earlier?: AepError,
): AepError {
  if (earlier !== undefined) {
    const when = inFlight
      ? 'Its retry was cancelled before it was answered.'
      : 'The call was cancelled before its retry was sent.';
    return new AepError({
      code: 'AEP_ABORTED',
      message: `${earlier.message} ${when}`,
      status: earlier.status,
      platformCode: earlier.platformCode,
      requestId: earlier.requestId,
      outcomeUnknown: true,
      ...callFacts(state),
      cause: plainCause(cause, redactText),
    });
  }
  const outcomeUnknown = inFlight && isOutcomeUnknown({ method: state.method, errorCode: 'ABORTED' });
  return new AepError({
    code: 'AEP_ABORTED',
    message: `The call ${where(state)} was cancelled.${outcomeUnknown ? ' The change may or may not have been made.' : ''}`,
    outcomeUnknown,
    ...callFacts(state),
    cause: plainCause(cause, redactText),
  });
}

/** Between what the attempt of unknown outcome got and the failure that ended the call after it. */
export const NOT_SETTLED = 'It was retried, and the last attempt did not settle it:';

/**
 * A call that failed with its outcome known (`ended`), after an attempt that reached the service
 * with its outcome unknown (`earlier`: a 5xx, no answer), was sent and may have changed
 * something: that outcome, kept (outcomeUnknown, with that attempt's code, status, platform code
 * and request id), saying what that attempt got, then what ended the call as why it was not
 * settled (also `endedWith`).
 */
export function unsettled(
  earlier: AepError,
  ended: AepError,
  facts: Pick<AepErrorInit, 'sandbox' | 'endpoint' | 'method' | 'attempts'>,
): AepError {
  return new AepError({
    code: earlier.code as AepErrorCode,
    message: `${earlier.message} ${NOT_SETTLED} ${ended.message}`,
    status: earlier.status,
    platformCode: earlier.platformCode,
    requestId: earlier.requestId,
    outcomeUnknown: true,
    ...facts,
    retryAfterMs: ended.retryAfterMs,
    details: ended.details,
    endedWith: ended,
    cause: ended,
  });
}

/** A success whose body is not what the contract says. */
export function badResponse(
  state: CallState,
  status: number,
  problem: string,
  requestId: string | undefined,
): AepError {
  const mutation = state.method !== 'GET';
  return new AepError({
    code: 'AEP_BAD_RESPONSE',
    message: `AEP answered ${where(state)} with HTTP ${status} but an unexpected body (${problem}).${mutation ? ' The change was probably made.' : ''}`,
    status,
    requestId,
    outcomeUnknown: mutation,
    ...callFacts(state),
  });
}

/** How much of a redirect's Location an error shows. */
const LOCATION_SHOWN = 200;

/**
 * A 3xx: the client follows no redirect (got would send the token to where it points, even
 * another host). The service's API does not redirect: a base URL that moved, a proxy or a
 * captive portal does. A change's outcome is unknown (the next apply checks).
 */
export function redirectAnswer(
  state: CallState,
  status: number,
  location: string | undefined,
  requestId: string | undefined,
): AepError {
  const mutation = state.method !== 'GET';
  // Masked, then cut short (a Location of any length made an error line of as many characters);
  // followed by a space, not a comma, which the masking of a secret's value would take in.
  const url = location === undefined ? undefined : safeUrl(location);
  const to =
    url === undefined
      ? ''
      : ` to ${url.length > LOCATION_SHOWN ? `${url.slice(0, LOCATION_SHOWN - 1)}…` : url}`;
  return new AepError({
    code: 'AEP_UNEXPECTED_RESPONSE',
    message: redactText(
      `AEP answered ${where(state)} with HTTP ${status}, a redirect${to} that audiencectl does not follow (it would send its token there). ${CHECK_ROUTE}${mutation ? ' Whether the change was made is unknown: the next apply checks.' : ''}`,
    ),
    status,
    requestId,
    outcomeUnknown: mutation,
    ...callFacts(state),
  });
}
