import { DEFAULT_OPERATION_POLL, DEFAULT_RUN_POLL } from '../../../src/apply/clock.js';
import type { ReconcileSettings } from '../../../src/daemon/pass.js';
import { DEMO_SANDBOX } from '../../../src/emulator/index.js';

/**
 * The in-process reconciler specs' settings: applying (not a dry run) into the emulator's sandbox,
 * no guard allowed, no lock wait, operations and runs polled every 20 ms; a run given up after
 * `runTimeoutMs`. `extra` for what a spec is about.
 */
export function reconcileSettings(
  runTimeoutMs: number,
  extra: Partial<ReconcileSettings> = {},
): ReconcileSettings {
  return {
    dryRun: false,
    read: {},
    defaultSandbox: DEMO_SANDBOX,
    planOptions: (now) => ({ now, allowReplace: false, allowMassDelete: false, allowEmptySource: false }),
    lockTimeoutMs: 0,
    operationPoll: { ...DEFAULT_OPERATION_POLL, firstMs: 20 },
    runPoll: { ...DEFAULT_RUN_POLL, firstMs: 20, maxMs: 50, timeoutMs: runTimeoutMs },
    ...extra,
  };
}
