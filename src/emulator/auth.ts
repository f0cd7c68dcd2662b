import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from './errors.js';
import type { EmulatorClient } from './options.js';
import { technicalAccountId, type TokenSigner } from './tokens.js';

/** Who is calling and where: the result of the header checks every API call passes. */
export type Caller = { clientId: string; orgId: string; sandbox: string; actor: string };

export type AuthDeps = { signer: TokenSigner; clients: ReadonlyMap<string, EmulatorClient> };

const REQUIRED_HEADERS = ['authorization', 'x-api-key', 'x-gw-ims-org-id', 'x-sandbox-name'] as const;
const SANDBOX_NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const BEARER = /^Bearer\s+(\S+)\s*$/i;

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first.trim() === '' ? undefined : first.trim();
}

/** The checks run in the order the appendix lists its codes: missing, token, org, client. */
export function authenticate(headers: IncomingHttpHeaders, deps: AuthDeps, nowMs: number): Caller {
  const missing = REQUIRED_HEADERS.filter((name) => headerValue(headers, name) === undefined);
  if (missing.length > 0) {
    throw new ApiError('100920-401', `Missing required header(s): ${missing.join(', ')}.`);
  }
  const authorization = headerValue(headers, 'authorization') ?? '';
  const apiKey = headerValue(headers, 'x-api-key') ?? '';
  const orgId = headerValue(headers, 'x-gw-ims-org-id') ?? '';
  const sandbox = headerValue(headers, 'x-sandbox-name') ?? '';

  const token = BEARER.exec(authorization)?.[1];
  if (token === undefined) {
    throw new ApiError('100911-400', 'The Authorization header must be "Bearer <access token>".');
  }
  const check = deps.signer.verify(token, nowMs);
  if (!check.ok) {
    const detail =
      check.reason === 'expired' ? 'The access token has expired.' : 'The access token is invalid.';
    throw new ApiError('100911-400', detail);
  }
  const client = deps.clients.get(check.claims.clientId);
  if (!client) throw new ApiError('100911-400', 'The access token is invalid.');
  if (orgId !== check.claims.orgId) {
    throw new ApiError('100921-401', 'x-gw-ims-org-id is not the organization of the access token.');
  }
  if (apiKey !== client.clientId || client.allowed === false) {
    throw new ApiError('100922-401', 'This client is not authorized to use the external audiences API.');
  }
  if (!SANDBOX_NAME.test(sandbox)) {
    throw new ApiError('100910-400', 'x-sandbox-name is not a valid sandbox name.', {
      items: [{ path: 'x-sandbox-name', message: 'must be lowercase letters, digits and "-"' }],
    });
  }
  return { clientId: client.clientId, orgId, sandbox, actor: technicalAccountId(client.clientId) };
}
