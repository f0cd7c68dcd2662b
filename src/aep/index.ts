/** The External Audiences API client (docs/configuration.md describes its settings and policies). */
export { createAepClient, type AepHttpClient } from './client.js';
export {
  AepAuthError,
  AepDeleteNotFoundError,
  AepError,
  type AepErrorCode,
  type AepErrorDetail,
} from './errors.js';
export { DEFAULT_IMS_URL, DEFAULT_SCOPES } from './ims-defaults.js';
export { ImsToken, type ImsTokenOptions } from './ims-token.js';
export { CREDENTIAL_HINTS, type AepCredentials, type CredentialHints } from './credentials.js';
export {
  DEFAULT_BASE_URL,
  DEFAULT_TIMEOUTS,
  type AepClientOptions,
  type AepEndpoint,
  type AepRequestEvent,
  type AepTimeouts,
  type SandboxAccess,
} from './options.js';
export {
  DEFAULT_BUDGET,
  RequestBudget,
  SlidingWindow,
  type Admission,
  type BudgetSettings,
  type BudgetStats,
} from './request-budget.js';
export { DEFAULT_RETRY, type RetryPolicy } from './retry-policy.js';
export type { AepClientStats, EndpointStats } from './stats.js';
export * from './types.js';
export * from './segment-types.js';
export { DEFAULT_BULK_BATCH } from './audience-reads.js';
export type { CompatChoices, CompatOptions, OperationsPathSetting, SourceSpecSetting } from './compat.js';
export { ServiceClock, type ClockReading, type ServiceClockSource } from './service-clock.js';
