import { expect } from 'vitest';
import { runCli as runProgram } from '../../src/cli/run-cli.js';
import { secretRegistrySnapshot } from '../../src/text/secrets.js';
import type { CliResult } from './cli.js';

/**
 * Runs the CLI's own entry (`runCli`, what dist/cli/main.js calls) inside the test
 * process: the same argument parsing, commands, output and exit code, without the ~0.6 s
 * of CPU a Node process costs to start. For what only a process shows (signals, a TTY,
 * stdin, EPIPE, a crash's stack trace, the controller's log on fd 2), spawn the built
 * CLI with `runCli` from ./cli.js instead.
 *
 * The CLI reads `process.env` and writes to `process.stdout`/`process.stderr`, so for
 * the duration of a call they are that call's: calls run one after the other (two that
 * must overlap, such as racing for the lock, need processes).
 */
let queue: Promise<unknown> = Promise.resolve();

type Options = { cwd?: string; env?: Record<string, string | undefined> };

export function runCliInProcess(args: string[], options: Options = {}): Promise<CliResult> {
  const result = queue.then(() => runAlone(args, options));
  queue = result.catch(() => undefined);
  return result;
}

async function runAlone(args: string[], options: Options): Promise<CliResult> {
  const merged: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: '1',
    AEP_SANDBOX: undefined,
    ...options.env,
  };
  const saved = {
    env: process.env,
    cwd: process.cwd(),
    out: process.stdout.write.bind(process.stdout),
    err: process.stderr.write.bind(process.stderr),
  };
  let stdout = '';
  let stderr = '';
  const capture =
    (append: (text: string) => void) =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      if (callback) queueMicrotask(callback);
      return true;
    };
  process.env = Object.fromEntries(
    Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  process.stdout.write = capture((text) => (stdout += text));
  process.stderr.write = capture((text) => (stderr += text));
  // The secrets this run registers (its credentials, say) are its own: the specs sharing
  // this worker (isolate: false) would otherwise see them scrubbed from their texts.
  const restoreSecrets = secretRegistrySnapshot();
  try {
    if (options.cwd) process.chdir(options.cwd);
    const code = await runProgram([process.execPath, 'audiencectl', ...args]);
    return { code, stdout, stderr };
  } finally {
    restoreSecrets();
    process.chdir(saved.cwd);
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    process.env = saved.env;
  }
}

/**
 * `audiencectl init` of the directory store `state`, then `apply` of `manifests` into it,
 * against the CLI's built-in emulator (--emulator), in this process: a store with records to
 * plan against. The apply's result, for the caller to check.
 */
export async function initAndApplyOnEmulator(manifests: string, state: string): Promise<CliResult> {
  expect((await runCliInProcess(['init', '--state', state, '--emulator'])).code).toBe(0);
  return runCliInProcess(['apply', manifests, '--state', state, '--emulator', '--auto-approve']);
}
