/** An ISO 8601 date and time with no zone (`2026-11-22T10:00:00`, or with a space). */
const ZONELESS = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/;

/**
 * Epoch seconds of a time stamp in a record (`applied.at`, `imported.at`, an intent's
 * `startedAt`, ...). audiencectl writes them in UTC with a `Z`; one written without a
 * zone (a record edited by hand) is read as UTC too. `Date.parse` reads such a string in
 * the process's time zone (TZ), so whether a periodic run was due, and with it the
 * plan, changed with the machine that planned. NaN when it is not a time.
 */
export function epochSecondsOf(text: string): number {
  return Math.floor(epochMsOf(text) / 1000);
}

/** Epoch milliseconds of such a time stamp (epochSecondsOf), read the same way. */
export function epochMsOf(text: string): number {
  const zoneless = ZONELESS.exec(text.trim());
  return Date.parse(zoneless ? `${zoneless[1]}T${zoneless[2]}Z` : text);
}
