import { STATUS_CODES } from 'node:http';

/**
 * The appendix of the reference page, plus the gateway's throttling answer. `title` is the
 * appendix's "Message" column; the body shape is written down in specs/emulator-errors.md.
 */
export const PLATFORM_ERRORS = {
  '100910-400': { status: 400, title: 'BAD_REQUEST' },
  '100911-400': { status: 400, title: 'BAD_REQUEST' },
  '100920-401': { status: 401, title: 'UNAUTHORIZED' },
  '100921-401': { status: 401, title: 'UNAUTHORIZED' },
  '100922-401': { status: 401, title: 'UNAUTHORIZED' },
  '100940-404': { status: 404, title: 'NOT_FOUND' },
  '100950-409': { status: 409, title: 'DUPLICATE_RESOURCE' },
  '100960-422': { status: 422, title: 'UNPROCESSABLE_ENTITY' },
  '100970-500': { status: 500, title: 'INTERNAL_SERVER_ERROR' },
  '100970-502': { status: 502, title: 'BAD_GATEWAY' },
  '429050': { status: 429, title: 'TOO_MANY_REQUESTS' },
} as const satisfies Record<string, { status: number; title: string }>;

export type PlatformCode = keyof typeof PLATFORM_ERRORS;

export const ERROR_TYPE_BASE = 'https://ns.adobe.com/aep/errors/';

/** One broken rule of a request, e.g. `{ path: 'fields[0].type', message: '...' }`. */
export type ErrorItem = { path: string; message: string };

export type ErrorBody = {
  type: string;
  title: string;
  status: number;
  detail: string;
  report: { errorCode: PlatformCode; requestId: string; errors?: ErrorItem[] };
};

/** An answer of the emulated API that is not a success; the error handler renders it. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: PlatformCode;
  readonly status: number;
  readonly items: ErrorItem[] | undefined;
  readonly headers: Record<string, string>;

  constructor(
    code: PlatformCode,
    detail: string,
    extra: { items?: ErrorItem[]; headers?: Record<string, string> } = {},
  ) {
    // An ApiError is an answer, not a bug: capturing a stack for each one would cost more
    // than the rest of a 404 or 429 under load.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(detail);
    Error.stackTraceLimit = stackTraceLimit;
    this.code = code;
    this.status = PLATFORM_ERRORS[code].status;
    this.items = extra.items;
    this.headers = extra.headers ?? {};
  }
}

/**
 * The appendix's "Description" of each code, all an error says with `errorDetail: appendix`.
 * The throttling answer is not in the appendix: it keeps its own text.
 */
const APPENDIX_TEXT: Partial<Record<PlatformCode, string>> = {
  '100910-400': 'A bad request has occurred, due to a failure occurring while validating the requests.',
  '100911-400': 'An invalid token is provided.',
  '100920-401': 'A header is missing.',
  '100921-401': 'An invalid imsOrgId is provided.',
  '100922-401': 'You are not authorized to use the external audiences APIs.',
  '100940-404': 'The requested audience was not found.',
  '100950-409': 'The audience already exists.',
  '100960-422':
    'The request structure is valid, but it cannot be processed due to logical or semantic errors.',
  '100970-500': 'There was an issue processing the request in the system.',
  '100970-502': 'There are downstream dependency issues.',
};

/** `detail`: `named`, what broke; `appendix`, only the appendix's text for the code (compat-settings.ts). */
export function errorBody(
  error: ApiError,
  requestId: string,
  detail: 'named' | 'appendix' = 'named',
): ErrorBody {
  const report: ErrorBody['report'] = { errorCode: error.code, requestId };
  const appendix = detail === 'appendix' ? APPENDIX_TEXT[error.code] : undefined;
  if (appendix === undefined && error.items && error.items.length > 0) report.errors = error.items;
  return {
    type: `${ERROR_TYPE_BASE}${error.code}`,
    title: PLATFORM_ERRORS[error.code].title,
    status: error.status,
    detail: appendix ?? error.message,
    report,
  };
}

/**
 * The body of an injected `clientError`: the shape of every error above, with the appendix's
 * code and title for the status when it lists one (its first), else the status alone and
 * the HTTP reason (403: `FORBIDDEN`), as the page documents no code for it.
 */
export function refusalBody(
  status: number,
  errorCode: string | undefined,
  requestId: string,
): Omit<ErrorBody, 'report'> & { report: { errorCode: string; requestId: string } } {
  const listed = Object.entries(PLATFORM_ERRORS).find(([, entry]) => entry.status === status);
  const code = errorCode ?? listed?.[0] ?? String(status);
  const reason = STATUS_CODES[status] ?? 'Client Error';
  return {
    type: `${ERROR_TYPE_BASE}${code}`,
    title: listed?.[1].title ?? reason.toUpperCase().replaceAll(/[^A-Z0-9]+/g, '_'),
    status,
    detail: `The request was refused with HTTP ${status} (injected fault).`,
    report: { errorCode: code, requestId },
  };
}

export function validationError(items: ErrorItem[]): ApiError {
  const first = items[0];
  const detail = first ? `Invalid request: ${first.path}: ${first.message}` : 'Invalid request';
  return new ApiError('100910-400', detail, { items });
}

export function notFound(what: string, id: string): ApiError {
  return new ApiError('100940-404', `No ${what} with id ${id} in this organization and sandbox.`);
}

/** What an unknown path answers (also a path the chosen reading of the page does not serve). */
export function noEndpoint(method: string, url: string): ApiError {
  const path = url.split('?', 1)[0] ?? url;
  return new ApiError('100940-404', `No endpoint ${method} ${path}.`);
}
