/** The External Audiences API + IMS emulator (issue 4); docs/emulator.md describes its behaviour. */
export { startEmulator, type RunningEmulator } from './start.js';
export { DEMO_CLIENT, DEMO_SANDBOX } from './demo-client.js';
export { DataDirError } from './data-dir.js';
export type {
  EmulatorClient,
  EmulatorOptions,
  FaultSettings,
  GuardrailSettings,
  RateLimitSettings,
} from './options.js';
export type { EmulatorControl } from './control.js';
export type { ObservedRequest, RequestObserver } from './context.js';
export type { EmulatorSettings } from './settings.js';
export type { SettingsPatch } from './settings-schema.js';
export type { EmulatorCounters, EndpointCounters, RequestLogEntry } from './counters.js';
export type { EndpointName } from './endpoints.js';
export type { FaultKind, QueuedFault } from './faults.js';
export type { RetryAfterForm } from './retry-after.js';
export type {
  EmulatorAudience,
  EmulatorOperation,
  EmulatorRun,
  EmulatorRunStart,
  EmulatorRunSummary,
} from './views.js';
export type { ErrorBody, ErrorItem, PlatformCode } from './errors.js';
export { PLATFORM_ERRORS } from './errors.js';
export { technicalAccountId } from './tokens.js';
export type { SegmentAudience } from './segment-views.js';
export type { CompatSettings } from './compat-settings.js';
export type { UiEdit } from './ui-actions.js';
