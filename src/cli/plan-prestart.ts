import path from 'node:path';
import { fileSize, prestartScanThread, scansInThread } from '../scan/prestart.js';
import { MANIFEST_CACHE_NAME } from '../state/paths.js';
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
 * Whether a plan with these arguments (after the command's name) and environment will
 * start the fact scan's thread: one over a directory store that holds a manifest cache large
 * enough (scansInThread).
 * A guess from them alone (`--state`, AUDIENCECTL_STATE, the default directory; not a
 * state named by a configuration file, not `--base`, not with the caches off): a wrong
 * guess costs a thread's start-up, never changes a plan, which ends a thread it does not take.
 */
export function scansAhead(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  sizeOf: (file: string) => number | undefined = fileSize,
): boolean {
  const flag = (name: string) => args.some((arg) => arg === name || arg.startsWith(`${name}=`));
  if (flag('--base') || flag('--help') || args.includes('-h')) return false;
  if (env.AUDIENCECTL_MANIFEST_CACHE?.trim().toLowerCase() === 'off') return false;
  const given = optionValue(args, '--state');
  // Set but empty, AUDIENCECTL_STATE is refused (state-options.ts): no plan runs.
  if (given === undefined && env.AUDIENCECTL_STATE?.trim() === '') return false;
  const named = given ?? (env.AUDIENCECTL_STATE || env.AUDIENCECTL_STATE_DIR || undefined);
  if (named === undefined && (flag('--config') || env.AUDIENCECTL_CONFIG)) return false;
  const dir = named ?? DEFAULT_STATE_DIR;
  return !/^postgres(ql)?:/i.test(dir) && scansInThread(path.join(dir, MANIFEST_CACHE_NAME), sizeOf);
}

/** Starts the fact scan's thread ahead (scan/prestart.ts) for a plan that will start it (scansAhead). */
export function prestartPlanScan(args: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
  if (scansAhead(args, env)) prestartScanThread();
}
