import { escapeText } from '../text/safe-text.js';

/** How much of a key an error shows (as `quotedStart` shows of a refused value). */
const SHOWN_START = 100;

/**
 * A key of the service's answer (a runId keying the runs list, an id keying bulk-get's
 * `results`) as an error names it: escaped (`run\u000A1`), so that the error stays one line and
 * no control in it acts on the terminal, the log or /status that shows it; a long one by its
 * start and its length. The service chooses these keys: nothing bounds them but the answer cap.
 */
export function shownKey(key: string): string {
  if (key.length <= SHOWN_START) return escapeText(key);
  return `${escapeText(`${key.slice(0, SHOWN_START)}…`)} (${key.length} characters)`;
}

/** A schema issue's path as an error names it: `runs.<key>.runId`, each key shown by shownKey. */
export function shownPath(path: readonly PropertyKey[]): string {
  return path.map((segment) => (typeof segment === 'string' ? shownKey(segment) : String(segment))).join('.');
}
