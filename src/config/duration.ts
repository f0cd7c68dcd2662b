import { UsageError } from '../errors.js';
import { quoted } from '../text/safe-text.js';

/**
 * The one duration grammar of audiencectl: every duration flag, environment variable,
 * configuration key and chart value reads it (helm/audiencectl/values.schema.json uses
 * the same pattern, so keep them equal).
 *
 * Either a plain non-negative integer, in the unit the option documents, or one or more
 * `<integer><unit>` groups in decreasing order: `d`, `h`, `m`, `s`, `ms`.
 * `30s`, `5m`, `1h30m`, `2d`, `1m500ms`.
 */
export const DURATION_PATTERN = /^(\d+|(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?)$/;

/** The unit of a plain number. */
export type DurationUnit = 'ms' | 's';

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;

/** The longest wait a Node.js timer can hold (about 24.8 days); longer ones would fire at once. */
export const MAX_DURATION_MS = 2_147_483_647;

/** How a wait over MAX_DURATION_MS is refused, after the value: `"30d" is too long (at most 24d)`. */
export const TOO_LONG = 'is too long (at most 24d)';

export const DURATION_EXAMPLES = 'e.g. 30s, 5m, 1h30m';

/**
 * How a number or a duration with a blank or a line break around it is refused, after the
 * value: `" 5" has a space ...`. Such a value was quoted wrongly or read from a file with its
 * newline; the chart's schema and the configuration file's other spellings refuse it too.
 */
export const BLANK_AROUND = 'has a space or line break around it: write the value alone';

export type DurationResult = { ok: true; ms: number } | { ok: false; message: string };

/**
 * Reads `text` as a duration in milliseconds. `positive` refuses 0 (an interval of 0
 * would spin). `timer: false` for a duration no timer waits (the emulator's clock offset):
 * not refused past MAX_DURATION_MS, the caller bounds it. Pure; the message does not name
 * the option (callers do).
 */
export function readDuration(
  text: string,
  unit: DurationUnit,
  positive = false,
  options: { timer: boolean } = { timer: true },
): DurationResult {
  if (text !== text.trim() && text.trim() !== '')
    return { ok: false, message: `${quoted(text)} ${BLANK_AROUND}` };
  const trimmed = text;
  const groups = trimmed === '' ? null : DURATION_PATTERN.exec(trimmed);
  if (!groups) return { ok: false, message: `${quoted(text)} is not a duration (${DURATION_EXAMPLES})` };
  // Group 1 is the whole value; groups 2 to 6 the `<integer><unit>` parts, when given.
  let total = /^\d+$/.test(trimmed) ? Number(trimmed) * UNIT_MS[unit] : 0;
  for (const part of groups.slice(2)) {
    const match = part === undefined ? null : /^(\d+)([a-z]+)$/.exec(part);
    if (match) total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  }
  if (options.timer && total > MAX_DURATION_MS) return { ok: false, message: `${quoted(text)} ${TOO_LONG}` };
  if (positive && total === 0)
    return { ok: false, message: `${quoted(text)} is too short (must be more than 0)` };
  return { ok: true, ms: total };
}

/** Like readDuration; throws a UsageError naming the option: `--lock-timeout: "abc" is not a duration (...)`. */
export function parseDuration(text: string, name: string, unit: DurationUnit, positive = false): number {
  const result = readDuration(text, unit, positive);
  if (!result.ok) throw new UsageError('BAD_DURATION', `${name}: ${result.message}`);
  return result.ms;
}
