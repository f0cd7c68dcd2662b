import { parseDuration } from '../config/duration.js';

/** How long git may stay silent by default: `run --git-timeout`'s default (daemon/settings.ts). */
const DEFAULT_SILENCE_MS = 120_000;

/**
 * How long the fetch that deepens a shallow clone (source/git-revision.ts, fetchSince) may stay
 * silent before it is stopped: AUDIENCECTL_GIT_TIMEOUT, as `run --git-timeout` reads it (`30s`,
 * `2m`; a plain number is seconds), else 2 minutes. Read when a fetch is made, so that a value
 * no apply needs refuses nothing; a bad one is refused in one line naming the variable.
 */
export function gitSilenceMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.AUDIENCECTL_GIT_TIMEOUT;
  if (text === undefined || text === '') return DEFAULT_SILENCE_MS;
  return parseDuration(text, 'AUDIENCECTL_GIT_TIMEOUT', 's', true);
}
