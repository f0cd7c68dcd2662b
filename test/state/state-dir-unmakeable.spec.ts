import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';

// A --state directory that cannot be made is one line naming it, exit 1. A new path under
// /proc (/proc/x/state) made `init` spin a core for ever in Node's recursive mkdir, deaf to
// Ctrl-C and SIGTERM (the emulator's --data-dir did too: test/emulator/data-dir-errors.spec.ts).

/** Only a guard against a hang, never a claim about speed: the child is killed after it. */
const HANG_GUARD_MS = 20_000;

async function init(state: string): Promise<{ code: number | null; hung: boolean; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'init', '--emulator', '--state', state], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let hung = false;
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const guard = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, HANG_GUARD_MS);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(guard);
  return { code, hung, stderr };
}

describe('init --state under /proc', () => {
  it('says in one line which mkdir the file system refused, exit 1, no spin', async () => {
    const result = await init('/proc/x/state');
    expect(result.hung, `killed after ${HANG_GUARD_MS} ms; it printed: ${result.stderr}`).toBe(false);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'Error: cannot create state directory /proc/x/state: mkdir /proc/x failed (ENOENT: the file system refused it)\n',
    );
  });
});
