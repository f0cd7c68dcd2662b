import { spawn } from 'node:child_process';
import { CLI, type CliResult } from './cli.js';

/**
 * `command`, as a message printed it, pasted into a POSIX shell (`/bin/sh -c`) in `cwd`, where
 * `audiencectl` is the built CLI: what a person who copies it runs.
 */
export function paste(
  command: string,
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', `audiencectl() { "$NODE" "$CLI" "$@"; }\n${command}`], {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: '1', NODE: process.execPath, CLI, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end();
  });
}
