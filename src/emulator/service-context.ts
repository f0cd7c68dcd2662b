import type { Caller } from './auth.js';
import type { FaultInjector } from './faults.js';
import type { EmulatorSettings } from './settings.js';
import type { ScopeState, Store } from './store.js';

/** What the API handlers share; `settings` is replaced as a whole when the admin changes it. */
export type Runtime = {
  store: Store;
  settings: EmulatorSettings;
  faults: FaultInjector;
  storageRoot: string | undefined;
};

/**
 * The emulator's time, epoch ms: the host's clock moved by `clockOffsetMs`, so a client can
 * be tested against a service whose clock differs from its own (Date header, createdAt, runs).
 */
export function serviceNow(runtime: Pick<Runtime, 'settings'>): number {
  return Date.now() + runtime.settings.clockOffsetMs;
}

/** One authenticated API call: who, where (org + sandbox), and when. */
export type Call = { caller: Caller; scope: ScopeState; nowMs: number };
