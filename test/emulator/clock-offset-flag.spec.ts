import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';

// `--clock-offset` sets the emulator's clock up to a year off the host's, as clockOffsetMs
// does (docs/emulator.md). It refused anything past 24 days (a Node timer's limit, which an
// offset is not), saying the value was not a duration: "argument '30d' is invalid. expected a
// duration with an optional sign".

function emulator(args: string[]): { child: ChildProcess; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, [CLI, 'emulator', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { child, stdout: () => out, stderr: () => err };
}

describe('--clock-offset past 24 days', () => {
  it('--clock-offset=-30d starts an emulator whose Date header is 30 days behind', async () => {
    const spawned = emulator(['--clock-offset=-30d']);
    const exited = once(spawned.child, 'exit');
    try {
      const url = await Promise.race([
        (async () => {
          for (;;) {
            const match = /listening on (http:\/\/\S+)/.exec(spawned.stdout());
            if (match) return match[1]!;
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        })(),
        exited.then(() => undefined),
      ]);
      expect(url, spawned.stderr()).toMatch(/^http:/);
      const before = Date.now();
      const response = await fetch(`${url!}/data/core/ais/external-audience/x/runs`);
      const date = Date.parse(response.headers.get('date') ?? '');
      // Whole seconds in the header: 30 days behind, give or take the second and the call.
      const behindMs = before - date;
      expect(behindMs).toBeGreaterThan(30 * 86_400_000 - 2000);
      expect(behindMs).toBeLessThan(30 * 86_400_000 + 60_000);
    } finally {
      spawned.child.kill('SIGTERM');
      await exited;
    }
  });

  it('--clock-offset 400d: one line naming the flag and its limit, exit 1', async () => {
    const spawned = emulator(['--clock-offset', '400d']);
    const [code] = (await once(spawned.child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(spawned.stderr()).toMatch(/^Error: --clock-offset: "400d" [^\n]*a year[^\n]*\n$/);
  });
});
