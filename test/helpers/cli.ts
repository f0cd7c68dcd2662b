import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export type CliResult = { code: number; stdout: string; stderr: string };

/** Runs the built CLI as a user would, with a clean environment for what it reads. */
export async function runCli(
  args: string[],
  options: {
    cwd?: string;
    env?: Record<string, string | undefined>;
    input?: string;
    /** A shell command run first in the same process (`ulimit -f 1`), then the CLI is exec'd. */
    shellFirst?: string;
    /**
     * Output that means the command went on where it should have stopped (a controller that
     * started serving): the child is killed once its stdout or stderr shows it, so that the
     * case fails on what it printed instead of hanging until vitest's timeout.
     */
    stopOn?: RegExp;
    /** Run as this user and group (as root, to be refused what a user is: see `asUser`). */
    uid?: number;
    gid?: number;
  } = {},
): Promise<CliResult> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: '1',
    AEP_SANDBOX: undefined,
    ...options.env,
  };
  const node = [process.execPath, CLI, ...args];
  const [command, argv] =
    options.shellFirst === undefined
      ? [process.execPath, node.slice(1)]
      : ['sh', ['-c', `${options.shellFirst}; exec "$0" "$@"`, ...node]];
  const child = spawn(command, argv, {
    cwd: options.cwd,
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
    env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)),
  });
  const { stopOn } = options;
  if (stopOn !== undefined) {
    let seen = '';
    const watch = (chunk: Buffer) => {
      seen += chunk.toString();
      if (stopOn.test(seen)) child.kill('SIGKILL');
    };
    child.stdout.on('data', watch);
    child.stderr.on('data', watch);
  }
  return collectResult(child, options.input ?? '');
}

/** What `child` printed and its exit code, once it closes; `input` is all its stdin gets. */
export function collectResult(child: ChildProcessWithoutNullStreams, input = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** A temporary directory removed after `fn`. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'audiencectl-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes `files` (relative path -> text) under `dir`, making their folders. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
}

/**
 * `<dir>/bin/audiencectl`, a script running the built CLI, as the Action's install step leaves
 * one on PATH for its Plan step. Returns `<dir>/bin`.
 */
export async function builtCliOnPath(dir: string): Promise<string> {
  const bin = path.join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  await writeFile(
    path.join(bin, 'audiencectl'),
    `#!/usr/bin/env bash\nexec "${process.execPath}" "${CLI}" "$@"\n`,
  );
  await chmod(path.join(bin, 'audiencectl'), 0o755);
  return bin;
}

/** Environment for git commands in tests: an identity, so they pass on machines without one. */
export const GIT_ENV = {
  GIT_AUTHOR_NAME: 'audiencectl test',
  GIT_AUTHOR_EMAIL: 'test@audiencectl.invalid',
  GIT_COMMITTER_NAME: 'audiencectl test',
  GIT_COMMITTER_EMAIL: 'test@audiencectl.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};
