/** Characters a POSIX shell takes literally in a word: a word of only these needs no quotes. */
const PLAIN = /^[\w./@:+,%=-]+$/;

/**
 * `word` as one POSIX shell word, for a command a message tells a person to paste: as it is
 * when plain (a path such as `audiences/gold`), else in single quotes, where nothing is
 * expanded (`$`, backticks, spaces), with each `'` written `'\''`.
 */
export function shellQuote(word: string): string {
  if (PLAIN.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
