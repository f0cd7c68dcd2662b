import { UsageError } from '../errors.js';
import { parseDurationMs } from '../state/duration.js';

/** Defaults of `audiencectl run` (docs/controller.md lists them with their flags). */
export const RUN_DEFAULTS = {
  branch: 'main',
  interval: '60s',
  resyncInterval: '10m',
  workDir: '.audiencectl-work',
  listen: '0.0.0.0:8080',
  logLevel: 'info',
  gitUsername: 'x-access-token',
  gitTimeout: '2m',
  runWait: '30s',
  requeueAfter: '1m',
  backoffBase: '10s',
  backoffMax: '10m',
  lockTimeout: '10s',
  shutdownGrace: '25s',
  watchDebounce: '300ms',
} as const;

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off', '']);

/** `true`/`false` (also 1/0, yes/no, on/off), as flags and environment variables give them. */
export function parseBoolean(text: string, name: string): boolean {
  const value = text.trim().toLowerCase();
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw new UsageError('BAD_FLAG', `${name} must be true or false (got "${text}")`);
}

/** A commander argument parser for a duration flag (`500ms`, `30s`, `10m`, `1h`; a bare number is seconds). */
export function durationOf(flag: string): (text: string) => number {
  return (text) => parseDurationMs(text, flag);
}

/** Like durationOf, and more than zero: an interval of 0 would spin. */
export function positiveDurationOf(flag: string): (text: string) => number {
  return (text) => {
    const ms = parseDurationMs(text, flag);
    if (ms <= 0) throw new UsageError('BAD_DURATION', `${flag} must be more than 0 (got "${text}")`);
    return ms;
  };
}

/** Environment values of list flags (`--include`) are space-separated. */
export function splitList(values: readonly string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  return values.flatMap((value) => value.split(/\s+/)).filter((value) => value !== '');
}
