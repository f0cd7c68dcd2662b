import { KEY_PATTERN, SANDBOX_PATTERN } from '../manifest/patterns.js';
import { StateError } from './errors.js';
import { quotedStart } from '../text/safe-text.js';

/** Sandbox and key become path segments and row keys: only the manifest's own patterns may pass. */
export function assertValidId(sandbox: string, key: string): void {
  if (!SANDBOX_PATTERN.test(sandbox) || sandbox.length > 63) {
    throw new StateError(
      'STATE_BAD_SANDBOX',
      `invalid sandbox name ${quotedStart(sandbox)}: use lowercase letters, digits and "-"`,
    );
  }
  if (!KEY_PATTERN.test(key) || key.length > 63) {
    throw new StateError(
      'STATE_BAD_KEY',
      `invalid audience key ${quotedStart(key)}: use the manifest's metadata.name (lowercase letters, digits and "-", at most 63)`,
    );
  }
}

/** `sandbox/key`: unique across a store. */
export function recordId(sandbox: string, key: string): string {
  return `${sandbox}/${key}`;
}
