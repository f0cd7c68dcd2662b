/**
 * HTTP dates (RFC 9110 5.6.7), as `Retry-After` and `Date` carry them: always GMT, in one of
 * three forms a recipient must read. `Date.parse` reads the obsolete asctime form, and any
 * date naming no zone, in the machine's own zone: a laptop in New York read a 2 s Retry-After
 * as 5 h and gave up, one in Tokyo as 9 h past and retried at once.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';

/** `Sun, 06 Nov 1994 08:49:37 GMT`, the form to send. */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
/** `Sunday, 06-Nov-94 08:49:37 GMT`, obsolete. */
const RFC_850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
/** `Sun Nov  6 08:49:37 1994`, obsolete, GMT though it says no zone. */
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`);
/**
 * RFC 5322's date with its zone, which RFC 9110 5.6.7 asks a recipient to read as well (dates
 * forwarded from other sources): the weekday optional, a day of one digit (`Sun, 6 Dec 2026`,
 * as Java's RFC_1123_DATE_TIME writes the 1st to the 9th), the seconds optional, the zone GMT,
 * UT, UTC, Z or a numeric one. Each names its zone, so none is read in the machine's; Date.parse
 * read them right, and refused, a Retry-After so written was no Retry-After (the 429 pause, not
 * the wait asked), and a Date header so written left AEP's clock unread (review verify-44 M-1).
 */
const RFC_5322 = new RegExp(
  `^(?:${DAY}, )?(\\d{1,2}) ${MONTH} (\\d{4}) (\\d{2}):(\\d{2})(?::(\\d{2}))? (GMT|UTC?|Z|[+-]\\d{4})$`,
);

/** Epoch ms of an HTTP date in any of its three forms, or RFC 5322's with a zone; undefined for anything else. */
export function parseHttpDate(text: string): number | undefined {
  const value = text.trim();
  let match = IMF_FIXDATE.exec(value);
  if (match) return utc(Number(match[3]), match[2], match[1], match.slice(4, 7));
  match = RFC_850.exec(value);
  if (match) return utc(fullYear(Number(match[3])), match[2], match[1], match.slice(4, 7));
  match = ASCTIME.exec(value);
  if (match) return utc(Number(match[6]), match[1], match[2], match.slice(3, 6));
  match = RFC_5322.exec(value);
  if (match) {
    const offset = zoneOffsetMs(match[7] ?? '');
    const ms = utc(Number(match[3]), match[2], match[1], [match[4], match[5], match[6] ?? '00']);
    return ms === undefined || offset === undefined ? undefined : ms - offset;
  }
  return undefined;
}

/** A zone of RFC_5322 as ms east of GMT; undefined for an offset no clock has (minutes past 59). */
function zoneOffsetMs(zone: string): number | undefined {
  const numeric = /^([+-])(\d{2})(\d{2})$/.exec(zone);
  if (!numeric) return 0;
  const [, sign, hours, minutes] = numeric;
  if (Number(minutes) > 59) return undefined;
  return (sign === '-' ? -1 : 1) * (Number(hours) * 60 + Number(minutes)) * 60_000;
}

/**
 * A two-digit year more than 50 years ahead is of the last century (RFC 9110 5.6.7); counted
 * from the machine's year, which is close enough for a date answered now.
 */
function fullYear(twoDigits: number): number {
  const now = new Date().getUTCFullYear();
  const year = Math.floor(now / 100) * 100 + twoDigits;
  return year > now + 50 ? year - 100 : year;
}

function utc(
  year: number,
  month: string | undefined,
  day: string | undefined,
  time: Array<string | undefined>,
): number | undefined {
  const monthIndex = MONTHS.indexOf(month ?? '');
  const [hours, minutes, seconds] = time.map(Number);
  const date = Number(day);
  if (monthIndex < 0 || hours === undefined || minutes === undefined || seconds === undefined)
    return undefined;
  // A leap second (60) is a second of the minute after, as Date has none.
  if (hours > 23 || minutes > 59 || seconds > 60) return undefined;
  const ms = Date.UTC(year, monthIndex, date, hours, minutes, seconds);
  // Date.UTC rolls 31 Feb over into March: a day the month does not have is no date.
  return new Date(ms).getUTCDate() === date || seconds === 60 ? ms : undefined;
}
