import { RequestError, TimeoutError } from 'got';

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
};

export function requestErrorParts(error: unknown): TransportErrorParts {
  if (!(error instanceof RequestError)) {
    // A node error got did not wrap (see neverConnected in transport.ts).
    const code = (error as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' ? { errorCode: code } : {};
  }
  const parts: TransportErrorParts = {};
  const response = error.response;
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
  return parts;
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
