import { redactText } from '../text/secrets.js';
import { callFacts, type CallState } from './call-state.js';
import { isJsonObjectText, readErrorBody } from './error-body.js';
import { AepError } from './errors.js';
import { headerText, type TransportErrorParts } from './transport-error.js';

/** How much of a foreign page's words the message quotes. */
const QUOTE = 80;

/**
 * Every error the service itself answers is a JSON object (the page's appendix lists
 * `100940-404` and `100950-409`; Platform and gateway bodies are JSON). A 404 or 409 of any
 * other body (an HTML or plain-text page, an empty one) comes from something in between: a
 * corporate proxy, a load balancer, or a base URL that points at a web server. It says
 * nothing about the audience: read as "not found", a 404 would forget a record whose
 * audience stays, or plan a re-create; read as "that name is taken", a 409 would block a
 * create as an audience made outside audiencectl. No particular code or field is required
 * of the JSON, as the page shows no 404 body.
 */
export function isForeignAnswer(status: number, body: string | undefined): boolean {
  return (status === 404 || status === 409) && !isJsonObjectText(body);
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

/** What to check when something other than the API answered: where the client sends its calls. */
export const CHECK_ROUTE =
  'Check the base URL (AEP_BASE_URL, or baseUrl in the config file) and any proxy between here and AEP (HTTPS_PROXY, NO_PROXY).';

/** What a foreign answer of each status is not read as. */
const NOT_READ_AS: Record<number, string> = { 404: '"not found"', 409: 'a conflict (a name taken)' };

/**
 * The failed call a foreign 404 or 409 is. Not retried (got retries neither): a proxy's or
 * web server's page does not change on repeat; the base URL or the network path must be
 * fixed. A 404's outcome is not unknown: the service did not answer, and nothing says it saw
 * the request. A 409 page in answer to a change (a create) may stand in for the service's
 * answer or for none: its outcome is unknown, so a create keeps its intent and the next
 * apply learns what happened.
 */
export function foreignAnswer(parts: TransportErrorParts & { status: number }, state: CallState): AepError {
  const method = parts.method ?? state.method;
  const path = parts.path ?? state.endpoint;
  const requestId = headerText(parts.headers?.['x-request-id']);
  const facts = [`${state.endpoint} in sandbox "${state.sandbox}"`];
  if (requestId !== undefined) facts.push(`request id ${requestId}`);
  return new AepError({
    code: 'AEP_UNEXPECTED_RESPONSE',
    message: redactText(
      `${method} ${path} answered HTTP ${parts.status} with ${bodyDescription(parts)}, not AEP's JSON error: something other than the API answered, so nothing is read as ${NOT_READ_AS[parts.status] ?? 'an answer'} (${facts.join('; ')}). ${CHECK_ROUTE}`,
    ),
    status: parts.status,
    requestId,
    outcomeUnknown: parts.status === 409 && method !== 'GET',
    ...callFacts(state),
  });
}
