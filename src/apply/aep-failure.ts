import { isNotFoundAnswer } from '../aep/errors.js';

/** What the executor needs to know of a failed API call, read defensively from the error. */
export type AepFailure = {
  status: number | undefined;
  /** The client's stable code (AepError.code), e.g. `AEP_NOT_FOUND`. */
  code: string | undefined;
  platformCode: string | undefined;
  /** The request may or may not have been processed (network error, lost response). */
  outcomeUnknown: boolean;
  /**
   * The outcome unknown (an earlier attempt's), and the retry that ended the call answered by
   * the service's own 404 (AepError.endedWith): the audience is not found now, whatever that
   * attempt did.
   */
  lastNotFound: boolean;
  message: string;
};

export function aepFailure(error: unknown): AepFailure {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  return {
    status: typeof e.status === 'number' ? e.status : undefined,
    code: typeof e.code === 'string' ? e.code : undefined,
    platformCode: typeof e.platformCode === 'string' ? e.platformCode : undefined,
    outcomeUnknown: e.outcomeUnknown === true,
    lastNotFound: e.outcomeUnknown === true && isNotFoundAnswer(e.endedWith),
    message: error instanceof Error ? error.message : String(error),
  };
}

/**
 * The service said the audience, operation or run does not exist. A 404 page of a proxy or
 * web server (AEP_UNEXPECTED_RESPONSE, src/aep/foreign-answer.ts) is a failed call, never "gone".
 */
export const isNotFound = (f: AepFailure): boolean => f.status === 404 && f.code === 'AEP_NOT_FOUND';
/**
 * The service answers now that it has no such audience: its 404 ended the call, whether it was
 * the only answer (isNotFound) or came to the retry of an attempt whose outcome stays unknown.
 */
export const answersNotFound = (f: AepFailure): boolean => isNotFound(f) || f.lastNotFound;
/** The service said the name is taken. A proxy's 409 page (AEP_UNEXPECTED_RESPONSE) is not. */
export const isDuplicate = (f: AepFailure): boolean =>
  f.platformCode === '100950-409' || (f.status === 409 && f.code === 'AEP_CONFLICT');
/**
 * The service answered the call with a refusal of its own (a 4xx, not a proxy's page): the call
 * was sent and changed nothing. Not a cancelled call, one never sent, nor an unknown outcome.
 * IMS refusing the token (AEP_AUTH, with IMS's status) is none: the client asks for the token
 * before it sends the call, so the call did not reach the service (review 22).
 */
export const isRefusal = (f: AepFailure): boolean =>
  f.status !== undefined &&
  f.status >= 400 &&
  f.status < 500 &&
  !f.outcomeUnknown &&
  f.code !== 'AEP_UNEXPECTED_RESPONSE' &&
  f.code !== 'AEP_AUTH';

/**
 * What a failed call answered says was sent (CallMarks): a refusal, or an answer that leaves
 * the outcome unknown (a 5xx after the retries: the change may have been made); undefined when
 * nothing shows the call reached the service (cancelled, refused before sending).
 */
export function answeredCall(call: string, f: AepFailure): string | undefined {
  if (isRefusal(f)) return `${call} sent and refused (${f.message})`;
  if (f.outcomeUnknown) return `${call} sent, its outcome unknown (${f.message})`;
  return undefined;
}
