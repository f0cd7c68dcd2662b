import { AepAuthError } from './errors.js';

/**
 * Whether IMS answered and refused the token request: a client id, secret or scope it does not
 * accept, or an IMS URL that redirects. That is the controller's configuration, which no retry
 * mends. IMS unreachable, unavailable (5xx, 429) or answering without a token is not: an outage
 * passes by itself.
 */
export function credentialsRefused(error: unknown): boolean {
  if (!(error instanceof AepAuthError) || error.status === undefined) return false;
  return error.status >= 300 && error.status < 500 && error.status !== 429;
}
