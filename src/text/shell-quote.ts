import { escapeText } from './safe-text.js';

/** Characters a POSIX shell takes literally in a word: a word of only these needs no quotes. */
const PLAIN = /^[\w./@:+,%=-]+$/;

/**
 * `word` as one POSIX shell word, for a command a message tells a person to paste: as it is
 * when plain (a path such as `audiences/gold`), else in single quotes, where nothing is
 * expanded (`$`, backticks, spaces), with each `'` written `'\''`. Terminal controls, bidi and
 * invisible characters are still shown escaped (`\u001B`, escapeText): a path that holds one
 * cannot be shown both safely and pasteably, and a message must never move the cursor.
 */
export function shellQuote(word: string): string {
  if (PLAIN.test(word)) return word;
  return escapeText(`'${word.replaceAll("'", `'\\''`)}'`);
}
