import { spawn } from 'node:child_process';
import { CLI, collectResult, type CliResult } from './cli.js';

/**
 * `command`, as a message printed it, pasted into a POSIX shell (`/bin/sh -c`) in `cwd`, where
 * `audiencectl` is the built CLI: what a person who copies it runs.
 */
export async function paste(
  command: string,
  /** `env`: added to this process's; a variable given as undefined is removed. */
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<CliResult> {
  const env = { ...process.env, NO_COLOR: '1', NODE: process.execPath, CLI, ...options.env };
  const child = spawn('/bin/sh', ['-c', `audiencectl() { "$NODE" "$CLI" "$@"; }\n${command}`], {
    cwd: options.cwd,
    env: Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined)),
  });
  return collectResult(child);
}
