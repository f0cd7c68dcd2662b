/**
 * The forms a gateway may write `Retry-After` in (RFC 9110 10.2.3: delta-seconds or an HTTP
 * date), and two it should not but may: a date already past (a gateway's clock behind its
 * throttle's), and a value no client can read. Clients must cope with each (docs/emulator.md).
 */
export const RETRY_AFTER_FORMS = ['seconds', 'http-date', 'past-date', 'malformed'] as const;
export type RetryAfterForm = (typeof RETRY_AFTER_FORMS)[number];

/** How long before the answer's Date a `past-date` Retry-After is. */
const PAST_MS = 3_600_000;

/**
 * `Retry-After` asking for `seconds` in `form`, with the answer's Date of the same instant
 * `nowMs` (the emulator's clock): a date is only read against the Date beside it, and the
 * onSend hook's own Date, a moment later, could fall in the next second.
 */
export function retryAfterHeaders(
  form: RetryAfterForm,
  seconds: number,
  nowMs: number,
): { 'retry-after': string; date: string } {
  // HTTP dates have whole seconds: the Date is the second begun, the Retry-After `seconds` on.
  const second = Math.floor(nowMs / 1000) * 1000;
  const date = new Date(second).toUTCString();
  switch (form) {
    case 'seconds':
      return { 'retry-after': String(seconds), date };
    case 'http-date':
      return { 'retry-after': new Date(second + seconds * 1000).toUTCString(), date };
    case 'past-date':
      return { 'retry-after': new Date(second - PAST_MS).toUTCString(), date };
    case 'malformed':
      // An HTTP date's form with an hour no clock has: unreadable, not a number of seconds.
      return { 'retry-after': date.replace(/\d{2}:\d{2}:\d{2}/, '25:00:00'), date };
  }
}
