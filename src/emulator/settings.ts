import { DEFAULT_COMPAT, resolveCompat, type ResolvedCompat } from './compat-settings.js';
import type { RetryAfterForm } from './retry-after.js';
import type { EmulatorOptions, FaultSettings, GuardrailSettings, RateLimitSettings } from './options.js';

export type ResolvedFaults = {
  error500: number;
  error502: number;
  slow: number;
  slowMs: number;
  drop: number;
  responseLost: number;
  operationFailure: number;
  runFailure: number;
  seed?: number | undefined;
};

export type ResolvedRateLimit = {
  perSecond: number;
  burst: number;
  retryAfter: boolean;
  retryAfterForm: RetryAfterForm;
};

export type ResolvedGuardrails = {
  runsPerDayPerSandbox: number;
  runsPerDayWindow: 'day' | 'utc-day';
  runsPerAudience: number;
  runsPerAudienceWindow: 'day' | 'lifetime';
  audiencesPerSandbox: number;
};

/** Everything that may change while the emulator runs (flags at start, admin endpoint later). */
export type EmulatorSettings = {
  tokenLifetimeSeconds: number;
  operationDelayMs: number;
  runStageDelayMs: number;
  latencyMs: number;
  latencyJitterMs: number;
  rateLimit: ResolvedRateLimit | null;
  faults: ResolvedFaults;
  guardrails: ResolvedGuardrails;
  newerRules: boolean;
  /** Which reading of the page the emulator takes where it allows two. */
  compat: ResolvedCompat;
  /** The emulator's clock minus the host's, in ms (Date header, createdAt, run stages, tokens). */
  clockOffsetMs: number;
};

export const DEFAULT_SETTINGS: EmulatorSettings = {
  tokenLifetimeSeconds: 86_400,
  operationDelayMs: 50,
  runStageDelayMs: 50,
  latencyMs: 0,
  latencyJitterMs: 0,
  rateLimit: null,
  faults: resolveFaults(undefined),
  guardrails: resolveGuardrails(undefined, undefined),
  newerRules: false,
  compat: DEFAULT_COMPAT,
  clockOffsetMs: 0,
};

export function resolveFaults(faults: FaultSettings | undefined): ResolvedFaults {
  return {
    error500: faults?.error500 ?? 0,
    error502: faults?.error502 ?? 0,
    slow: faults?.slow ?? 0,
    slowMs: faults?.slowMs ?? 2000,
    drop: faults?.drop ?? 0,
    responseLost: faults?.responseLost ?? 0,
    operationFailure: faults?.operationFailure ?? 0,
    runFailure: faults?.runFailure ?? 0,
    seed: faults?.seed,
  };
}

export function resolveRateLimit(limit: RateLimitSettings | null | undefined): ResolvedRateLimit | null {
  if (!limit) return null;
  return {
    perSecond: limit.perSecond,
    burst: limit.burst ?? Math.max(1, limit.perSecond),
    retryAfter: limit.retryAfter ?? true,
    retryAfterForm: limit.retryAfterForm ?? 'seconds',
  };
}

/** Unset keys keep `base`'s value, so a partial update leaves the other guardrails alone. */
export function resolveGuardrails(
  guardrails: GuardrailSettings | undefined,
  base: ResolvedGuardrails | undefined,
): ResolvedGuardrails {
  return {
    runsPerDayPerSandbox: guardrails?.runsPerDayPerSandbox ?? base?.runsPerDayPerSandbox ?? 100,
    runsPerDayWindow: guardrails?.runsPerDayWindow ?? base?.runsPerDayWindow ?? 'day',
    runsPerAudience: guardrails?.runsPerAudience ?? base?.runsPerAudience ?? 10,
    runsPerAudienceWindow: guardrails?.runsPerAudienceWindow ?? base?.runsPerAudienceWindow ?? 'day',
    audiencesPerSandbox: guardrails?.audiencesPerSandbox ?? base?.audiencesPerSandbox ?? 4000,
  };
}

export function resolveSettings(options: EmulatorOptions): EmulatorSettings {
  return {
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? DEFAULT_SETTINGS.tokenLifetimeSeconds,
    operationDelayMs: options.operationDelayMs ?? DEFAULT_SETTINGS.operationDelayMs,
    runStageDelayMs: options.runStageDelayMs ?? DEFAULT_SETTINGS.runStageDelayMs,
    latencyMs: options.latencyMs ?? DEFAULT_SETTINGS.latencyMs,
    latencyJitterMs: options.latencyJitterMs ?? DEFAULT_SETTINGS.latencyJitterMs,
    rateLimit: resolveRateLimit(options.rateLimit),
    faults: resolveFaults(options.faults),
    guardrails: resolveGuardrails(options.guardrails, undefined),
    newerRules: options.newerRules ?? false,
    compat: resolveCompat(options.compat),
    clockOffsetMs: options.clockOffsetMs ?? 0,
  };
}
