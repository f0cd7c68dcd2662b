import { redactText } from '../text/secrets.js';
import { readErrorBody } from './error-body.js';
import { CHECK_ROUTE } from './foreign-answer.js';

/** The page's DELETE answers 204 with an empty body; 200 and 202 are read as the same. */
const DELETED_STATUSES: ReadonlySet<number> = new Set([200, 202, 204]);

export type UnconfirmedDeletion = { problem: string; platformCode: string | undefined };

/** Signs of an error document in a JSON object: a gateway's or the platform's error, sent as a 2xx. */
function isErrorDocument(json: Record<string, unknown>, platformCode: string | undefined): boolean {
  const status = Number(json['status']);
  const errors = json['errors'];
  return (
    platformCode !== undefined ||
    (Number.isFinite(status) && status >= 400) ||
    json['error'] !== undefined ||
    (errors !== undefined && !(Array.isArray(errors) && errors.length === 0)) ||
    (typeof json['type'] === 'string' && json['type'].includes('/errors/'))
  );
}

/**
 * Why a 2xx answer to a DELETE is no confirmation of the deletion, or undefined when it is
 * one: 200, 202 or 204 with an empty body, or with a JSON object that is not an error
 * document. A gateway in front of the service may answer 200 with an error of its own (or
 * the platform's); read as a deletion, the record of a live audience would go.
 */
export function unconfirmedDeletion(status: number, body: string): UnconfirmedDeletion | undefined {
  if (status >= 300 && status < 400)
    return {
      problem: `a redirect, which audiencectl does not follow (it would send its token there). ${CHECK_ROUTE.slice(0, -1)}`,
      platformCode: undefined,
    };
  if (!DELETED_STATUSES.has(status))
    return { problem: 'a status that is not 200, 202 or 204', platformCode: undefined };
  const text = redactText(body).trim();
  if (text === '') return undefined;
  const info = readErrorBody(text);
  const said = [info.platformCode, info.message].filter((part) => part !== undefined).join(': ');
  const quoted = said === '' ? '' : ` (${said})`;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problem: `a body that is not JSON${quoted}`, platformCode: info.platformCode };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { problem: 'a JSON body that is not an object', platformCode: undefined };
  }
  if (!isErrorDocument(json as Record<string, unknown>, info.platformCode)) return undefined;
  return { problem: `an error document${quoted}`, platformCode: info.platformCode };
}
