import { SANDBOX_PATTERN } from '../manifest/patterns.js';
import { UsageError } from '../errors.js';
import { quotedStart } from '../text/safe-text.js';

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
    message: `invalid sandbox name ${quotedStart(value)}: use lowercase letters, digits and "-" (at most 63), as AEP does`,
  };
}

/**
 * AEP_SANDBOX where a command reads it itself (the state commands given a key, a manifest's
 * default sandbox), checked and named as the flags' environment binding names it: the record
 * id's own check said `invalid sandbox name "Prod"`, a name never typed on the command line.
 * Undefined when it is unset or empty.
 */
export function envSandbox(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const value = env.AEP_SANDBOX || undefined;
  if (value === undefined) return undefined;
  const checked = checkSandboxName(value, 'env');
  if (!checked.ok) throw new UsageError('BAD_FLAG', `AEP_SANDBOX: ${checked.message}`);
  return checked.value;
}
