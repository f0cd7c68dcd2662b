import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { once } from 'node:events';
import { repoRoot } from './helpers.js';

export type Child = {
  process: ChildProcess;
  pid: number;
  lines: string[];
  /** Resolves with the first line matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  kill(): Promise<void>;
};

/** Runs a fixture from test/state/fixtures (plain JS on the built dist/) in a child node process. */
export function spawnFixture(name: string, args: string[]): Child {
  const child = spawn(process.execPath, [path.join(repoRoot, 'test/state/fixtures', name), ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  let buffer = '';
  const waiters: Array<() => void> = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  // 'close', not 'exit': a killed child's last lines may still be in the pipe when it exits. Lines
  // it printed while the pipe was full were in its own memory and die with it: a test that must
  // count every line has the child write them to a file (crash.spec's writer journal).
  const closed = once(child, 'close');
  return {
    process: child,
    pid: child.pid ?? -1,
    lines,
    async waitFor(pattern, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = lines.find((l) => pattern.test(l));
        if (line !== undefined) return line;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(
            `fixture ${name} never printed ${pattern}; stdout: ${lines.join('|')}; stderr: ${stderr}`,
          );
        }
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await closed;
    },
  };
}
