import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { CLI } from './cli.js';

/** Only a guard against a hang, never a claim about speed: the child is killed after it. */
export const HANG_GUARD_MS = 20_000;

/**
 * The built CLI run with `args` (in `options.cwd`, with `options.env` as its whole environment)
 * until it exits, or killed (`hung`) after HANG_GUARD_MS: for inputs that once made it spin for
 * ever (a new path under /proc in Node's recursive mkdir).
 */
export async function runCliGuarded(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<{ code: number | null; hung: boolean; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  let stdout = '';
  let stderr = '';
  let hung = false;
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const guard = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, HANG_GUARD_MS);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(guard);
  return { code, hung, stdout, stderr };
}
