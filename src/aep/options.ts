import type { Logger } from '../log.js';
import type { CompatOptions } from './compat.js';
import type { AepCredentials } from './credentials.js';
import type { BudgetSettings } from './request-budget.js';
import type { RetryPolicy } from './retry-policy.js';

export const DEFAULT_BASE_URL = 'https://platform.adobe.io/data/core/ais';

/** got's timeouts, per HTTP attempt, in ms. */
export type AepTimeouts = {
  /** DNS lookup. Default 5000. */
  lookupMs: number;
  /** TCP connection established. Default 5000. */
  connectMs: number;
  /** TLS handshake done. Default 5000. */
  secureConnectMs: number;
  /** Socket idle. Default 30000. */
  socketMs: number;
  /** Request body written. Default 15000. */
  sendMs: number;
  /** First byte of the answer after the request was sent. Default 30000. */
  responseMs: number;
  /** The whole attempt. Default 60000. */
  requestMs: number;
};

export const DEFAULT_TIMEOUTS: AepTimeouts = {
  lookupMs: 5000,
  connectMs: 5000,
  secureConnectMs: 5000,
  socketMs: 30_000,
  sendMs: 15_000,
  responseMs: 30_000,
  requestMs: 60_000,
};

/** What a sandbox is reached with. */
export type SandboxAccess = {
  credentials: AepCredentials;
  /** Default DEFAULT_BUDGET (10 requests/s, concurrency 4). */
  budget?: Partial<BudgetSettings> | undefined;
};

/** The operations, named as the emulator's counters and specs/ name them. */
export type AepEndpoint =
  | 'createAudience'
  | 'getOperation'
  | 'patchAudience'
  | 'startRun'
  | 'getRun'
  | 'listRuns'
  | 'deleteAudience'
  | 'listAudiences'
  | 'getAudience'
  | 'bulkGetAudiences';

/** One HTTP attempt (a retry is another event). */
export type AepRequestEvent = {
  sandbox: string;
  endpoint: AepEndpoint;
  method: string;
  /** 1 for the first attempt of a call. */
  attempt: number;
  /** Absent when no answer came. */
  status?: number;
  /** The platform error code of an error answer, e.g. `100950-409`. */
  platformCode?: string;
  durationMs: number;
  /** Why no answer came: ECONNRESET, ETIMEDOUT, ABORTED, ... */
  error?: string;
};

export type AepClientOptions = {
  /** The API base. Default https://platform.adobe.io/data/core/ais (AEP_BASE_URL). */
  baseUrl?: string | undefined;
  /** The Audiences API base. Default: the base URL with `/ais` replaced by `/ups`. */
  audiencesBaseUrl?: string | undefined;
  /** Readings of the page already learned, and the `api.sourceSpecShape` setting (compat.ts). */
  compat?: CompatOptions | undefined;
  /** The IMS token endpoint. Default https://ims-na1.adobelogin.com/ims/token/v3 (AEP_IMS_URL). */
  imsUrl?: string | undefined;
  /** Credentials and request budget per sandbox name. */
  sandboxes?: Readonly<Record<string, SandboxAccess>> | undefined;
  /** For sandboxes not in `sandboxes`; without it an unlisted sandbox is a UsageError. */
  defaultAccess?: SandboxAccess | undefined;
  /** Per-attempt timeouts; see AepTimeouts for the defaults. */
  timeouts?: Partial<AepTimeouts> | undefined;
  /** See RetryPolicy for the defaults (4 retries, full-jitter backoff from 300 ms up to 20 s). */
  retry?: Partial<RetryPolicy> | undefined;
  /** Renew a token this long before it expires (at most 10% of its lifetime). Default 300000. */
  tokenRenewMarginMs?: number | undefined;
  /** Default: no logging. */
  logger?: Logger | undefined;
  /** Called after every HTTP attempt to the API (not IMS). */
  onRequest?: ((event: AepRequestEvent) => void) | undefined;
  /** Called when an attempt waited for the sandbox's sliding window or a 429 pause. */
  onRateLimitWait?: ((sandbox: string, ms: number) => void) | undefined;
  /** Source of backoff jitter in [0, 1). Default Math.random. */
  random?: (() => number) | undefined;
};
