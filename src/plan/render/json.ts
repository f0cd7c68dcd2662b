import { escapeJsonText } from '../../text/safe-text.js';
import type { Plan } from '../schema.js';

/**
 * The plan as stable JSON (documented in the README); also the saved-plan format. Bidi
 * and other invisible characters are written as `\uXXXX` escapes (JSON.stringify leaves
 * them raw, and a browser or terminal showing the file would act on them); the parsed
 * value is the same.
 */
export function renderJson(plan: Plan): string {
  return `${escapeJsonText(JSON.stringify(plan, null, 2))}\n`;
}
