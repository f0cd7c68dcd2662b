import { SANDBOX_PATTERN } from '../manifest/patterns.js';
import { quoted } from '../text/safe-text.js';

export const DEFAULT_SANDBOX = 'prod';

/**
 * `--sandbox` / AEP_SANDBOX, checked before anything runs: a bad default must not plan
 * anything, and a mistyped filter (`state list --sandbox Prod`) must not read as "none".
 */
export function checkSandboxName(
  value: string,
  source?: string,
): { ok: true; value: string } | { ok: false; message: string } {
  // An empty AEP_SANDBOX counts as unset, as in the AEP configuration.
  if (value === '' && source === 'env') return { ok: true, value: DEFAULT_SANDBOX };
  if (SANDBOX_PATTERN.test(value) && value.length <= 63) return { ok: true, value };
  return {
    ok: false,
    message: `invalid sandbox name ${quoted(value)}: use lowercase letters, digits and "-" (at most 63), as AEP does`,
  };
}
