import { RequestError, TimeoutError } from 'got';
import { PROXY_FAILURE } from './proxy-failure.js';

export { PROXY_FAILURE };

/** What a got failure tells, read without keeping the error (its options hold headers and bodies). */
export type TransportErrorParts = {
  status?: number;
  body?: string;
  headers?: Record<string, string | string[] | undefined>;
  /** e.g. ECONNRESET, ETIMEDOUT, ERR_NON_2XX_3XX_RESPONSE */
  errorCode?: string;
  /** The phase that timed out. */
  timeoutEvent?: string;
  /** The path asked for, without the query (it never carries secrets, but a query might). */
  path?: string;
  /** The HTTP method sent (a bulk-get is a POST that the call state counts as a GET). */
  method?: string;
  /** The proxy that could not be reached or refused the tunnel (`HTTPS_PROXY=http://proxy:3128`). */
  proxy?: string;
  /** The proxy's answer to CONNECT, when it was not 200. */
  proxyStatus?: number;
  /**
   * The status of a success whose body did not arrive whole (the connection lost mid-body, a
   * body too large to read): no answer to act on, so the failure is read as a network one.
   */
  bodyLost?: number;
};

/** The proxy label and CONNECT answer that proxy.ts puts on a failure before the tunnel opened. */
function proxyParts(error: unknown): Pick<TransportErrorParts, 'proxy' | 'proxyStatus'> {
  const inner: unknown = error instanceof RequestError ? error.cause : error;
  if (typeof inner !== 'object' || inner === null) return {};
  const label: unknown = (inner as Record<string, unknown>)[PROXY_FAILURE];
  if (typeof label !== 'string') return {};
  // hpagent's text for a CONNECT answered with another status than 200.
  const status = /^Bad response: (\d{3})$/.exec((inner as { message?: unknown }).message as string)?.[1];
  return { proxy: label, ...(status === undefined ? {} : { proxyStatus: Number(status) }) };
}

/** How a message names a failure at the proxy; undefined when the proxy was not the one failing. */
export function proxyFailureText(parts: TransportErrorParts): string | undefined {
  if (parts.proxy === undefined) return undefined;
  if (parts.proxyStatus !== undefined)
    return `The proxy ${parts.proxy} refused the tunnel (HTTP ${parts.proxyStatus})`;
  return `Cannot reach the proxy ${parts.proxy} (${parts.errorCode ?? 'network error'})`;
}

/** The variable that set the proxy of a failure, for the hint (`check HTTPS_PROXY`). */
export function proxyVariable(parts: TransportErrorParts): string | undefined {
  return parts.proxy?.split('=')[0];
}

export function requestErrorParts(error: unknown): TransportErrorParts {
  if (!(error instanceof RequestError)) {
    // A node error got did not wrap (see neverConnected in transport.ts).
    const code = (error as { code?: unknown } | undefined)?.code;
    return { ...(typeof code === 'string' ? { errorCode: code } : {}), ...proxyParts(error) };
  }
  const parts: TransportErrorParts = {};
  const response = error.response;
  // A success's status line came, its body did not (ReadError, a timeout mid-body): the service
  // did what was asked, and what it made is not known. Read as no answer, which a GET retries and
  // a change takes for an outcome unknown, never as the service's answer "HTTP 202, unexpected",
  // which dropped a made audience's create and a started run's intent as refused (review
  // secrets-42, H-1).
  if (response && response.statusCode >= 200 && response.statusCode < 300) {
    parts.bodyLost = response.statusCode;
    parts.errorCode = networkCode(error);
    if (error instanceof TimeoutError) parts.timeoutEvent = error.event;
    return parts;
  }
  if (response) {
    parts.status = response.statusCode;
    parts.headers = response.headers;
    const url: unknown = response.requestUrl;
    if (url instanceof URL) parts.path = url.pathname;
    if (typeof error.options.method === 'string') parts.method = error.options.method;
    const body: unknown = response.body;
    if (typeof body === 'string') parts.body = body;
    else if (Buffer.isBuffer(body)) parts.body = body.toString('utf8');
    return parts;
  }
  parts.errorCode = networkCode(error);
  if (error instanceof TimeoutError) parts.timeoutEvent = error.event;
  return { ...parts, ...proxyParts(error) };
}

/** got wraps node errors; the node code is on the error or on its cause. */
function networkCode(error: RequestError): string {
  const cause: unknown = error.cause;
  const causeCode = (cause as { code?: unknown } | undefined)?.code;
  if (error.code && error.code !== 'ERR_GOT_REQUEST_ERROR') return error.code;
  return typeof causeCode === 'string' ? causeCode : error.code;
}

export function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Node >= 24.20 fails the retry of a refused connection outside got's retry loop (got#2469),
 * as this error, not a RequestError: the request never left, so asking again is safe for any
 * method.
 */
export function neverConnected(error: unknown): boolean {
  return (
    !(error instanceof RequestError) &&
    (error as { code?: unknown })?.code === 'ERR_SOCKET_CLOSED_BEFORE_CONNECTION'
  );
}
