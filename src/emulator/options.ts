import type { CompatSettings } from './compat-settings.js';
import type { RetryAfterForm } from './retry-after.js';

/** A client the emulated IMS knows: it trades `clientId` + `clientSecret` for a token of `orgId`. */
export type EmulatorClient = {
  clientId: string;
  clientSecret: string;
  orgId: string;
  /** false: IMS still issues tokens, but the API answers 100922-401 (no product access). Default true. */
  allowed?: boolean | undefined;
};

/** Probabilities are 0..1 and drawn per request; queued faults (see `queueFault`) win over them. */
export type FaultSettings = {
  /** Answer 100970-500 without handling the request. Default 0. */
  error500?: number | undefined;
  /** Answer 100970-502 without handling the request. Default 0. */
  error502?: number | undefined;
  /** Delay the response by `slowMs` on top of the latency. Default 0. */
  slow?: number | undefined;
  /** How long a slow response is delayed, in ms. Default 2000. */
  slowMs?: number | undefined;
  /** Destroy the connection before handling the request (nothing changes). Default 0. */
  drop?: number | undefined;
  /** Mutations only: apply the change, then destroy the connection instead of answering. Default 0. */
  responseLost?: number | undefined;
  /** A create operation ends FAILED instead of SUCCESS. Default 0. */
  operationFailure?: number | undefined;
  /** An ingestion run ends FAILED (at PROFILE_STORE_INGEST). Default 0. */
  runFailure?: number | undefined;
  /** Seed of the random draws, for reproducible fault sequences. Default: random. */
  seed?: number | undefined;
};

export type RateLimitSettings = {
  /** Tokens added to each org's bucket per second. */
  perSecond: number;
  /** Bucket size, i.e. the largest burst. Default `perSecond` (at least 1). */
  burst?: number | undefined;
  /** Send `Retry-After` with a 429; false tests clients that must cope without it. Default true. */
  retryAfter?: boolean | undefined;
  /**
   * How a 429's `Retry-After` is written: `seconds` (delta-seconds), `http-date` (an HTTP date,
   * as far after the answer's Date), `past-date` (a date an hour before it), `malformed` (no
   * value a client can read). Default seconds.
   */
  retryAfterForm?: RetryAfterForm | undefined;
};

export type GuardrailSettings = {
  /** Ingestion runs a sandbox may start in `runsPerDayWindow`. Default 100 (the service's guardrail). */
  runsPerDayPerSandbox?: number | undefined;
  /** `day`: the last 24 h, as the client's run budget counts; `utc-day`: since 00:00 UTC (docs/emulator.md). Default day. */
  runsPerDayWindow?: 'day' | 'utc-day' | undefined;
  /** Ingestion runs one audience may start in `runsPerAudienceWindow`. Default 10 (the service's guardrail). */
  runsPerAudience?: number | undefined;
  /** `day`: the last 24 h, as the client's run budget counts; `lifetime`: ever (docs/emulator.md). Default day. */
  runsPerAudienceWindow?: 'day' | 'lifetime' | undefined;
  /** Audiences (including ones still being created) a sandbox may hold. Default 4000. */
  audiencesPerSandbox?: number | undefined;
};

export type EmulatorOptions = {
  /** Interface to bind. Default 127.0.0.1 (never exposed by accident). */
  host?: string | undefined;
  /** TCP port; 0 picks a free one. Default 0. */
  port?: number | undefined;
  /** Clients IMS accepts. Default `[DEMO_CLIENT]`. */
  clients?: EmulatorClient[] | undefined;
  /** Lifetime of issued tokens, in seconds. Default 86400 (as IMS). */
  tokenLifetimeSeconds?: number | undefined;
  /** Time a create operation stays PROCESSING, in ms. Default 50 (fast tests). */
  operationDelayMs?: number | undefined;
  /** Time each ingestion stage takes, in ms. Default 50 (fast tests). */
  runStageDelayMs?: number | undefined;
  /** Added to every API response, in ms. Default 0. */
  latencyMs?: number | undefined;
  /** Random extra latency 0..n ms. Default 0. */
  latencyJitterMs?: number | undefined;
  /** Token bucket per org. Default: no limit. */
  rateLimit?: RateLimitSettings | undefined;
  faults?: FaultSettings | undefined;
  guardrails?: GuardrailSettings | undefined;
  /** Also enforce the rules newer versions of the API page add (identity field, 41 fields, ...). Default false. */
  newerRules?: boolean | undefined;
  /** Which reading of the page to take where it allows two (docs/emulator.md). Default: accept both. */
  compat?: CompatSettings | undefined;
  /**
   * Run the emulator's clock this many ms off the host's (negative: behind): its Date header,
   * createdAt times, run stages, guardrail windows and tokens all read it. Default 0.
   */
  clockOffsetMs?: number | undefined;
  /** Serve the `/_emulator/...` admin endpoint. Default false. */
  admin?: boolean | undefined;
  /** Keep audiences, operations and runs in this directory across restarts. Default: memory only. */
  dataDir?: string | undefined;
  /** Check each run's source file under this directory (missing file or header -> FAILED run). */
  storageRoot?: string | undefined;
  /** Log requests with pino (no headers, no bodies). Default false. */
  logger?: boolean | undefined;
  /** Entries the request log keeps. Default 1000. */
  requestLogSize?: number | undefined;
};
