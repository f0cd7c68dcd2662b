import { SANDBOX_PATTERN } from '../manifest/patterns.js';
import type { ConfigProblem } from './types.js';

/** The environment variables audiencectl reads for the AEP client. */
export const AEP_ENV_VARS = [
  'AEP_CLIENT_ID',
  'AEP_CLIENT_SECRET',
  'AEP_CLIENT_SECRET_FILE',
  'AEP_ORG_ID',
  'AEP_SANDBOX',
  'AEP_SCOPES',
  'AEP_BASE_URL',
  'AEP_IMS_URL',
] as const;

type Value = { value: string; hint: string };

export type AepEnv = {
  clientId?: Value;
  clientSecret?: Value;
  orgId?: Value;
  sandbox?: string;
  scopes?: string[];
  baseUrl?: string;
  imsUrl?: string;
};

function nonEmpty(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** The AEP_* variables, checked; empty ones count as unset. */
export function readEnv(env: Readonly<Record<string, string | undefined>>): {
  env: AepEnv;
  problems: ConfigProblem[];
} {
  const problems: ConfigProblem[] = [];
  const result: AepEnv = {};
  const clientId = nonEmpty(env, 'AEP_CLIENT_ID');
  if (clientId !== undefined) result.clientId = { value: clientId, hint: 'AEP_CLIENT_ID' };
  const clientSecret = nonEmpty(env, 'AEP_CLIENT_SECRET');
  if (clientSecret !== undefined) result.clientSecret = { value: clientSecret, hint: 'AEP_CLIENT_SECRET' };
  const orgId = nonEmpty(env, 'AEP_ORG_ID');
  if (orgId !== undefined) result.orgId = { value: orgId, hint: 'AEP_ORG_ID' };
  const sandbox = nonEmpty(env, 'AEP_SANDBOX');
  if (sandbox !== undefined) {
    if (SANDBOX_PATTERN.test(sandbox) && sandbox.length <= 63) result.sandbox = sandbox;
    else
      problems.push({ key: 'AEP_SANDBOX', message: 'must be lowercase letters, digits and "-", at most 63' });
  }
  const scopes = nonEmpty(env, 'AEP_SCOPES');
  if (scopes !== undefined) {
    const list = splitScopes(scopes);
    // `AEP_SCOPES=","` is no scope at all, not the defaults: IMS would issue a token AEP refuses.
    if (list.length > 0) result.scopes = list;
    else problems.push({ key: 'AEP_SCOPES', message: NO_SCOPE });
  }
  for (const [name, key] of [
    ['AEP_BASE_URL', 'baseUrl'],
    ['AEP_IMS_URL', 'imsUrl'],
  ] as const) {
    const value = nonEmpty(env, name);
    if (value === undefined) continue;
    // Plain http:// to another host is refused with the clients known (plain-http.ts, resolve.ts).
    if (isHttpUrl(value)) result[key] = value;
    else problems.push({ key: name, message: 'must be an http(s) URL' });
  }
  return { env: result, problems };
}

/** Said of a scope list that names none. */
export const NO_SCOPE = 'must name at least one scope (leave it out for the default scopes)';

/** `openid,AdobeID` (commas or spaces) or a list, as a list without duplicates. */
export function splitScopes(scopes: string | readonly string[]): string[] {
  const list = typeof scopes === 'string' ? scopes.split(/[\s,]+/) : [...scopes];
  return [...new Set(list.map((scope) => scope.trim()).filter((scope) => scope !== ''))];
}
