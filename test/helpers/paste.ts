import { spawn } from 'node:child_process';
import { CLI, collectResult, type CliResult } from './cli.js';

/**
 * `command`, as a message printed it, pasted into a POSIX shell (`/bin/sh -c`) in `cwd`, where
 * `audiencectl` is the built CLI: what a person who copies it runs.
 */
export async function paste(
  command: string,
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const child = spawn('/bin/sh', ['-c', `audiencectl() { "$NODE" "$CLI" "$@"; }\n${command}`], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', NODE: process.execPath, CLI, ...options.env },
  });
  return collectResult(child);
}
