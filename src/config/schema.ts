import { z } from 'zod';
import { MAX_DURATION_MS, TOO_LONG, readDuration } from './duration.js';
import { MAX_BUDGET_REQUESTS } from '../aep/budget-limits.js';
import { DEFAULT_RETRY } from '../aep/retry-policy.js';
import { SANDBOX_PATTERN } from '../manifest/schema.js';
import { NO_SCOPE, splitScopes } from './env.js';

// The configuration file, strict: an unknown key is an error (a typo must not pass silently).

const NonEmpty = z.string().trim().min(1, 'must not be empty');
// Plain http:// to another host is refused with the clients known (plain-http.ts, resolve.ts).
const Url = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
/** A whole number of ms, or a duration (`30s`, `2m`, `1h30m`): the grammar of every duration option. */
const PositiveMs = z.union([z.number(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') {
    // A number of ms is held to the limit a duration is: a Node.js timer fires a longer wait at once.
    if (Number.isInteger(value) && value > MAX_DURATION_MS) {
      ctx.addIssue({ code: 'custom', message: `${value} ${TOO_LONG}` });
      return z.NEVER;
    }
    if (Number.isInteger(value) && value > 0) return value;
    ctx.addIssue({ code: 'custom', message: 'must be a whole number of ms > 0, or a duration such as 30s' });
    return z.NEVER;
  }
  const read = readDuration(value, 'ms', true);
  if (read.ok) return read.ms;
  ctx.addIssue({ code: 'custom', message: read.message });
  return z.NEVER;
});
/** As the manifests' sandbox names (and the API's x-sandbox-name). */
export const SandboxName = z
  .string()
  .max(63, 'must be lowercase letters, digits and "-", at most 63')
  .regex(SANDBOX_PATTERN, 'must be lowercase letters, digits and "-", at most 63');
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');
/**
 * `openid,AdobeID` or a list, naming at least one: an empty one (`[]`, `""`, a template that
 * rendered empty) replaced the default scopes with none, and IMS issued a token AEP then
 * refused on every call, far from this line (review-36a L-4).
 */
export const Scopes = z
  .union([z.string(), z.array(NonEmpty)])
  .refine((value) => splitScopes(value).length > 0, NO_SCOPE);

const credentialFields = {
  clientId: NonEmpty.optional(),
  /** Discouraged: a secret written in the file. */
  clientSecret: NonEmpty.optional(),
  /** The name of the environment variable holding the secret. */
  clientSecretEnv: EnvName.optional(),
  /** A file holding the secret (a mounted Kubernetes secret); relative to the config file. */
  clientSecretFile: NonEmpty.optional(),
  orgId: NonEmpty.optional(),
  scopes: Scopes.optional(),
};

export const CredentialsFile = z.strictObject(credentialFields);
export type CredentialsFile = z.infer<typeof CredentialsFile>;

export const BudgetFile = z.strictObject({
  // Bounded: the request budget allocates one slot per request of its window (request-budget.ts).
  requests: z
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(MAX_BUDGET_REQUESTS, `must be at most ${MAX_BUDGET_REQUESTS}`)
    .optional(),
  intervalMs: PositiveMs.optional(),
  concurrency: z.number().int('must be a whole number').min(1, 'must be at least 1').optional(),
});
export type BudgetFile = z.infer<typeof BudgetFile>;

export const SandboxFile = z.strictObject({ ...credentialFields, budget: BudgetFile.optional() });
export type SandboxFile = z.infer<typeof SandboxFile>;

export const TimeoutsFile = z.strictObject({
  lookupMs: PositiveMs.optional(),
  connectMs: PositiveMs.optional(),
  secureConnectMs: PositiveMs.optional(),
  socketMs: PositiveMs.optional(),
  sendMs: PositiveMs.optional(),
  responseMs: PositiveMs.optional(),
  requestMs: PositiveMs.optional(),
});

export const RetryFile = z
  .strictObject({
    limit: z
      .number()
      .int('must be a whole number')
      .min(0, 'must be >= 0')
      .max(20, 'must be <= 20')
      .optional(),
    baseDelayMs: PositiveMs.optional(),
    maxDelayMs: PositiveMs.optional(),
    maxRetryAfterMs: PositiveMs.optional(),
    rateLimitPauseMs: PositiveMs.optional(),
  })
  // A first delay over the longest was capped to it without a word (retry-policy.ts): refused,
  // as `run --backoff-base` over `--backoff-max` is. Each unset one is its default.
  .superRefine((retry, ctx) => {
    const base = retry.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
    const max = retry.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
    if (base <= max) return;
    // Named at the key the file sets (at baseDelayMs when both are set).
    const atBase = retry.baseDelayMs !== undefined;
    const other = atBase
      ? `longer than retry.maxDelayMs (${max} ms${retry.maxDelayMs === undefined ? ', its default' : ''})`
      : `shorter than retry.baseDelayMs (${base} ms, its default)`;
    ctx.addIssue({
      code: 'custom',
      path: [atBase ? 'baseDelayMs' : 'maxDelayMs'],
      message: `${atBase ? base : max} ms is ${other}: lower retry.baseDelayMs or raise retry.maxDelayMs`,
    });
  });

/** How audiencectl reads the API where the reference page allows two readings (src/aep/compat.ts). */
export const ApiFile = z.strictObject({
  /** `auto` (default): `params`, and flat once on a 400 naming sourceSpec, remembered per sandbox. */
  sourceSpecShape: z.enum(['auto', 'params', 'flat']).optional(),
  /** `auto` (default): the known spelling of the operations path, the other on a 404, remembered per base URL. */
  operationsPath: z.enum(['auto', 'plural', 'singular']).optional(),
  /** `auto` (default): the known spelling of the DELETE path, the other on a 404, remembered per base URL. */
  deletePath: z.enum(['auto', 'bare', 'slash']).optional(),
  /** Ids per Audiences API bulk-get (refresh, verified deletes). Default 50. */
  bulkBatchSize: z
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(1000, 'must be at most 1000')
    .optional(),
});

export const ConfigFile = z.strictObject({
  /** The API base. */
  baseUrl: Url.optional(),
  imsUrl: Url.optional(),
  /** The sandbox of manifests that name none. */
  defaultSandbox: SandboxName.optional(),
  /** Shared by every sandbox that does not set its own. */
  credentials: CredentialsFile.optional(),
  /** The default budget of every sandbox. */
  budget: BudgetFile.optional(),
  timeouts: TimeoutsFile.optional(),
  retry: RetryFile.optional(),
  api: ApiFile.optional(),
  /** `name: {}` (or nothing) uses the shared credentials and budget. */
  sandboxes: z.record(SandboxName, SandboxFile.nullable()).optional(),
  /**
   * The state store: a directory (relative to this file) or a postgres:// URL. `--state`
   * and AUDIENCECTL_STATE win over it; default `.audiencectl-state`.
   */
  state: NonEmpty.optional(),
});
export type ConfigFile = z.infer<typeof ConfigFile>;
