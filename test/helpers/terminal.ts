import { spawn } from 'node:child_process';
import { CLI } from './cli.js';

/** Runs `apply` on a pseudo-terminal (util-linux `script`), answers the prompt with `keys`. */
export function applyOnTerminal(
  args: string[],
  keys: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const command = [process.execPath, CLI, 'apply', ...args]
      .map((a) => `'${a.replaceAll("'", "'\\''")}'`)
      .join(' ');
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', TERM: 'dumb', ...env },
    });
    let output = '';
    let answered = false;
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      if (!answered && output.includes('Only "yes" is accepted: ')) {
        answered = true;
        child.stdin.write(keys);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}
