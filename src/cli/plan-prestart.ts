import path from 'node:path';
import { fileSize, prestartScanThread, scansInThread } from '../scan/prestart.js';
import { prestartParserThread } from '../manifest/parser-prestart.js';
import { MANIFEST_CACHE_NAME, STATE_SNAPSHOT_NAME } from '../state/paths.js';
import { DEFAULT_STATE_DIR } from './state-options.js';

/** The value of `--name value` or `--name=value` in `args`, if given. */
function optionValue(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === name) return args[i + 1];
    if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
  }
  return undefined;
}

/**
 * The directory store a plan with these arguments (after the command's name) and
 * environment will read, guessed from them alone (`--state`, AUDIENCECTL_STATE, the default
 * directory; not a state named by a configuration file, not `--base`, which reads no state):
 * undefined when there is none to guess.
 */
function guessedStateDir(args: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  const flag = (name: string) => args.some((arg) => arg === name || arg.startsWith(`${name}=`));
  if (flag('--base') || flag('--help') || args.includes('-h')) return undefined;
  const given = optionValue(args, '--state');
  // Set but empty, AUDIENCECTL_STATE is refused (state-options.ts): no plan runs.
  if (given === undefined && env.AUDIENCECTL_STATE?.trim() === '') return undefined;
  const named = given ?? (env.AUDIENCECTL_STATE || env.AUDIENCECTL_STATE_DIR || undefined);
  if (named === undefined && (flag('--config') || env.AUDIENCECTL_CONFIG)) return undefined;
  const dir = named ?? DEFAULT_STATE_DIR;
  return /^postgres(ql)?:/i.test(dir) ? undefined : dir;
}

/**
 * Whether a plan with these arguments and environment will start the fact scan's thread:
 * one over a directory store that holds a manifest cache large enough (scansInThread).
 * A guess (guessedStateDir; not with the caches off): a wrong guess costs a thread's
 * start-up, never changes a plan, which ends a thread it does not take.
 */
export function scansAhead(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  sizeOf: (file: string) => number | undefined = fileSize,
): boolean {
  if (env.AUDIENCECTL_MANIFEST_CACHE?.trim().toLowerCase() === 'off') return false;
  const dir = guessedStateDir(args, env);
  return dir !== undefined && scansInThread(path.join(dir, MANIFEST_CACHE_NAME), sizeOf);
}

/**
 * A state snapshot this large (about 60 records of the bench's size) says the store's
 * repository has more manifests than a plan parses without a thread (IN_THREAD_MAX_FILES):
 * a plan of it without a manifest cache starts one anyway.
 */
export const PARSE_AHEAD_FROM_BYTES = 64 * 1024;

/**
 * Whether a plan with these arguments and environment will read every manifest and start a
 * parser thread for them: one over a directory store that holds no manifest cache (a cold
 * plan: the first after an upgrade's cache was removed, or a fresh clone of a committed
 * store) but a state snapshot that says the repository is large (PARSE_AHEAD_FROM_BYTES).
 * A guess, as scansAhead: a wrong one costs a thread's start-up, never changes a plan.
 */
export function parsesAhead(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  sizeOf: (file: string) => number | undefined = fileSize,
): boolean {
  const dir = guessedStateDir(args, env);
  return (
    dir !== undefined &&
    sizeOf(path.join(dir, MANIFEST_CACHE_NAME)) === undefined &&
    (sizeOf(path.join(dir, STATE_SNAPSHOT_NAME)) ?? 0) >= PARSE_AHEAD_FROM_BYTES
  );
}

/**
 * Starts the thread a plan with these arguments will take, ahead, as the command begins (its
 * start-up then runs on the other core while this one loads the command): the fact scan's
 * (scansAhead, scan/prestart.ts) or a manifest parser thread (parsesAhead, parser-prestart.ts).
 */
export function prestartPlanScan(args: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
  if (scansAhead(args, env)) prestartScanThread();
  else if (parsesAhead(args, env)) prestartParserThread();
}
