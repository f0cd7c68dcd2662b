import type { AepCredentials } from '../aep/credentials.js';

/** How a refusal names the org of `--emulator`'s calls: no AEP_* setting or file gives it. */
export const EMULATOR_ORG_SETTING = "the embedded emulator's demo client (--emulator)";

/**
 * `demo` (the emulator's published demo client) as `--emulator` uses it: a store bound to
 * another org is refused naming the demo client, not AEP_ORG_ID, which --emulator ignores.
 */
export function emulatorCredentials(demo: AepCredentials): AepCredentials {
  return { ...demo, hints: { ...demo.hints, orgId: EMULATOR_ORG_SETTING, orgFixed: true } };
}
