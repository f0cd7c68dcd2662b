import { safeUrlsIn } from './safe-url.js';
import { base64Cores, coresPattern, redactBase64, textForms } from './secret-forms.js';

// The registry of secrets to scrub: here, not in log.ts, so that what only registers
// secrets (reading the configuration) does not load the logger.

export const CENSOR = '[REDACTED]';

/** Shorter values would scrub ordinary words; nobody's real secret is that short. */
const MIN_SECRET_LENGTH = 6;
/** Access tokens are registered as they are issued; old ones are long expired by then. */
const MAX_TOKENS = 500;

/**
 * `process`: a secret configured for the life of the process (client secret, git token,
 * webhook secret, HTTP token, database password): pinned, never dropped, and also
 * scrubbed inside base64 (an echoed Basic-auth header). `token`: a short-lived credential
 * issued at run time (an access token): kept among the last MAX_TOKENS, so a controller
 * that renews tokens for months holds a bounded list, and the pinned ones stay.
 */
export type SecretLifetime = 'process' | 'token';

const pinned = new Set<string>();
const tokens = new Set<string>();
/** The pinned secrets as given (their base64 cores are computed from these). */
const pinnedRaw = new Set<string>();
let secretPattern: RegExp | undefined;
let base64Pattern: RegExp | undefined;
/** Patterns are rebuilt when next used, not on every registration. */
let stale = false;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function currentPatterns(): void {
  if (!stale) return;
  stale = false;
  const values = [...new Set([...pinned, ...tokens])].sort((a, b) => b.length - a.length).map(escapeRegExp);
  secretPattern = values.length === 0 ? undefined : new RegExp(values.join('|'), 'g');
  base64Pattern = coresPattern([...pinnedRaw].flatMap(base64Cores));
}

/**
 * Registers a secret value so it is replaced by [REDACTED] in every log line and in
 * `redactText`, in the forms it takes inside JSON strings and URL-encoded bodies too.
 * Empty and very short values are ignored. Secrets configured at start-up keep the
 * default lifetime `process`; access tokens are registered with `token`.
 */
export function registerSecret(value: string | undefined | null, lifetime: SecretLifetime = 'process'): void {
  if (value === undefined || value === null || value.length < MIN_SECRET_LENGTH) return;
  const target = lifetime === 'process' ? pinned : tokens;
  let added = false;
  for (const form of textForms(value)) {
    if (pinned.has(form) || target.has(form)) continue;
    target.add(form);
    added = true;
  }
  if (lifetime === 'process' && !pinnedRaw.has(value)) {
    pinnedRaw.add(value);
    added = true;
  }
  if (!added) return;
  while (tokens.size > MAX_TOKENS) {
    const oldest = tokens.values().next().value;
    if (oldest === undefined) break;
    tokens.delete(oldest);
  }
  stale = true;
}

/**
 * The registry as it is now, and a function that puts it back (tests: a CLI run in the
 * test's process registers the secrets it is given, which the specs sharing the worker
 * would otherwise scrub from their own texts).
 */
export function secretRegistrySnapshot(): () => void {
  const kept = { pinned: [...pinned], tokens: [...tokens], pinnedRaw: [...pinnedRaw] };
  return () => {
    for (const [set, values] of [
      [pinned, kept.pinned],
      [tokens, kept.tokens],
      [pinnedRaw, kept.pinnedRaw],
    ] as const) {
      set.clear();
      for (const value of values) set.add(value);
    }
    stale = true;
  };
}

/** Forgets every registered secret (tests). */
export function clearRegisteredSecrets(): void {
  pinned.clear();
  pinnedRaw.clear();
  tokens.clear();
  secretPattern = undefined;
  base64Pattern = undefined;
  stale = false;
}

/**
 * `text` with the registered secrets (also inside base64, for the pinned ones) replaced,
 * and nothing else changed: for messages whose URLs are already shown as they should be.
 */
export function scrubSecrets(text: string): string {
  currentPatterns();
  const result = secretPattern ? text.replace(secretPattern, CENSOR) : text;
  return redactBase64(result, base64Pattern, CENSOR);
}

const BEARER = /\b(Bearer)\s+[\w.~+/=-]{8,}/gi;
const SECRET_PARAMETER = /\b(client_secret|access_token|token|password)=[^&\s"']+/gi;

/**
 * `text` with registered secrets (also inside base64, for the pinned ones), bearer
 * tokens, secret form parameters, and URL user info and secret query values replaced.
 */
export function redactText(text: string): string {
  let result = scrubSecrets(text);
  result = result.replace(BEARER, `$1 ${CENSOR}`);
  result = result.replace(SECRET_PARAMETER, `$1=${CENSOR}`);
  return safeUrlsIn(result);
}
