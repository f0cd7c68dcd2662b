import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, withTempDir } from '../helpers/cli.js';

// One emulator per data directory (docs/emulator.md, Persistence). Two on one directory both
// started, and each rewrote <dir>/emulator-state.json with its own audiences only, so what the
// other had acknowledged (a 202 and its operation) was gone from the file and the next start.

function emulator(args: string[]): { child: ChildProcess; output: () => { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, [CLI, 'emulator', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, output: () => ({ stdout, stderr }) };
}

/** The URL once printed, or undefined when the process exited first. */
async function started(child: ChildProcess, output: () => { stdout: string }): Promise<string | undefined> {
  const exited = once(child, 'exit').then(() => undefined);
  const url = new Promise<string>((resolve) => {
    const look = (): void => {
      const match = /listening on (http:\/\/\S+)/.exec(output().stdout);
      if (match?.[1]) resolve(match[1]);
      else setTimeout(look, 20);
    };
    look();
  });
  return Promise.race([url, exited]);
}

describe('two emulators on one --data-dir', () => {
  it('the second refuses to start, in one line naming --data-dir, and the first keeps running', async () => {
    await withTempDir(async (dir) => {
      const dataDir = path.join(dir, 'emulator-data');
      const first = emulator(['--data-dir', dataDir]);
      try {
        expect(await started(first.child, first.output), first.output().stderr).toMatch(/^http:/);
        const second = emulator(['--data-dir', dataDir]);
        const secondExit = once(second.child, 'exit') as Promise<[number | null]>;
        const url = await started(second.child, second.output);
        if (url !== undefined) second.child.kill('SIGTERM');
        const [code] = await secondExit;
        expect(url, 'the second emulator started on the same data directory').toBeUndefined();
        expect(code).toBe(1);
        expect(second.output().stderr).toMatch(/^Error: --data-dir: [^\n]*emulator-data[^\n]*\n$/);
        expect(second.output().stderr).toContain(`pid ${first.child.pid}`);
        expect(first.child.exitCode).toBeNull();
      } finally {
        first.child.kill('SIGTERM');
        await once(first.child, 'exit').catch(() => undefined);
      }
    });
  });
});
