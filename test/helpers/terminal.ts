import { spawn } from 'node:child_process';
import { CLI } from './cli.js';

export type TerminalOptions = {
  cwd?: string;
  /** Variables of this process's environment the CLI does not get. */
  unset?: string[];
  /** Runs once the prompt shows, before `keys` are typed (a colleague in the UI meanwhile). */
  beforeAnswer?: () => void;
};

/** Runs `apply` on a pseudo-terminal (util-linux `script`), answers the prompt with `keys`. */
export function applyOnTerminal(
  args: string[],
  keys: string,
  env: Record<string, string> = {},
  options: TerminalOptions = {},
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const command = [process.execPath, CLI, 'apply', ...args]
      .map((a) => `'${a.replaceAll("'", "'\\''")}'`)
      .join(' ');
    const inherited = Object.entries(process.env).filter(([name]) => !options.unset?.includes(name));
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...Object.fromEntries(inherited), NO_COLOR: '1', TERM: 'dumb', ...env },
    });
    let output = '';
    let answered = false;
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      if (!answered && output.includes('Only "yes" is accepted: ')) {
        answered = true;
        options.beforeAnswer?.();
        child.stdin.write(keys);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}
