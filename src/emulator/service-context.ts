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

/** One authenticated API call: who, where (org + sandbox), and when. */
export type Call = { caller: Caller; scope: ScopeState; nowMs: number };
