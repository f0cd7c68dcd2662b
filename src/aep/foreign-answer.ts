import { redactText } from '../log.js';
import type { CallState } from './call-state.js';
import { isJsonObjectText, readErrorBody } from './error-body.js';
import { AepError } from './errors.js';
import { headerText, type TransportErrorParts } from './transport-error.js';

/** How much of a foreign page's words the message quotes. */
const QUOTE = 80;

/**
 * Every error the service itself answers is a JSON object (the page's appendix lists
 * `100940-404`; Platform and gateway bodies are JSON). A 404 of any other body (an HTML or
 * plain-text "Not Found" page, an empty one) comes from something in between: a corporate
 * proxy, a load balancer, or a base URL that points at a web server. It says nothing about
 * the audience, so it is not AEP_NOT_FOUND: read as "gone", it would forget a record whose
 * audience stays, or plan a re-create. No particular code or field is required of the JSON,
 * as the page shows no 404 body.
 */
export function isForeignNotFound(status: number, body: string | undefined): boolean {
  return status === 404 && !isJsonObjectText(body);
}

function bodyDescription(parts: TransportErrorParts): string {
  const type = headerText(parts.headers?.['content-type'])?.split(';', 1)[0]?.trim();
  const typed = type === undefined || type === '' ? 'no content type' : `type ${type}`;
  // Scrubbed before it is shortened: a secret cut short no longer matches, and its start would show.
  const said = readErrorBody(parts.body === undefined ? undefined : redactText(parts.body)).message;
  if (said === undefined) return `an empty body (${typed})`;
  const quoted = said.length > QUOTE ? `${said.slice(0, QUOTE - 1)}…` : said;
  return `a body of ${typed} ("${quoted}")`;
}

/**
 * The failed call a foreign 404 is. Not retried (got retries no 404): a proxy's or web
 * server's page does not change on repeat; the base URL or the network path must be fixed.
 * Its outcome is not unknown: the service did not answer, and nothing says it saw the request.
 */
export function foreignNotFound(parts: TransportErrorParts & { status: number }, state: CallState): AepError {
  const method = parts.method ?? state.method;
  const path = parts.path ?? state.endpoint;
  const requestId = headerText(parts.headers?.['x-request-id']);
  const facts = [`${state.endpoint} in sandbox "${state.sandbox}"`];
  if (requestId !== undefined) facts.push(`request id ${requestId}`);
  return new AepError({
    code: 'AEP_UNEXPECTED_RESPONSE',
    message: redactText(
      `${method} ${path} answered HTTP 404 with ${bodyDescription(parts)}, not AEP's JSON error: something other than the API answered, so nothing is read as "not found" (${facts.join('; ')}). Check the base URL (AEP_BASE_URL, or baseUrl in the config file) and any proxy between here and AEP (HTTPS_PROXY, NO_PROXY).`,
    ),
    status: parts.status,
    requestId,
    outcomeUnknown: false,
    sandbox: state.sandbox,
    endpoint: state.endpoint,
    method: state.method,
    attempts: state.attempts,
  });
}
