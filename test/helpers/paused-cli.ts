import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { CLI } from './cli.js';

/**
 * The built CLI run with a preload that stops it at a chosen point and prints a line starting
 * `paused` there: `paused` resolves to that line (rejects if the process ends first), and
 * `stop` sends a signal and says how the process ended.
 */
export function pausedCli(
  preload: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string },
): {
  paused: Promise<string>;
  stop: (
    signal: NodeJS.Signals,
  ) => Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
} {
  const child = spawn(process.execPath, ['--import', preload, CLI, ...args], {
    ...options,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const paused = new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const line = /^paused.*$/m.exec(stdout);
      if (line) resolve(line[0]);
    });
    void exited.then(([code, signal]) =>
      reject(
        new Error(
          `${args.slice(0, 2).join(' ')} ended (${code ?? signal}) without pausing; stdout: ${stdout}; stderr: ${stderr}`,
        ),
      ),
    );
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return {
    paused,
    async stop(signal) {
      child.kill(signal);
      const [code, by] = await exited;
      return { code, signal: by, stderr };
    },
  };
}
