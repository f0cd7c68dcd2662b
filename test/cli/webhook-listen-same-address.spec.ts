import { lookup } from 'node:dns/promises';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';

/** A port free a moment ago on loopback (the fixed command refuses before binding it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The address `localhost` resolves to here, as a listen on it takes it (bracketed if IPv6). */
const { address: resolved, family } = await lookup('localhost');
const LOCALHOST = family === 6 ? `[${resolved}]` : resolved;

/**
 * cli-45 review: `run --webhook-listen` given the address of `--listen` (both 127.0.0.1:P, or
 * :P and 0.0.0.0:P) failed with "--webhook-listen: cannot listen on 127.0.0.1:P (EADDRINUSE)",
 * sending the user to look for another process holding the port: it was run's own --listen.
 * Refused before anything listens, naming both settings.
 */
describe('run --webhook-listen on the address of --listen', () => {
  it.each([
    [(port: number) => ['--listen', `127.0.0.1:${port}`, '--webhook-listen', `127.0.0.1:${port}`]],
    [(port: number) => ['--listen', `0.0.0.0:${port}`, '--webhook-listen', `:${port}`]],
    [(port: number) => ['--listen', `${port}`, '--webhook-listen', `127.0.0.1:${port}`]],
    // One address written two ways: the name and the address it resolves to (verify-45).
    [(port: number) => ['--listen', `localhost:${port}`, '--webhook-listen', `${LOCALHOST}:${port}`]],
  ])('is refused in one line naming both (%#)', async (flags) => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, { 'm/.keep': '' });
      expect((await runCliInProcess(['init', '--state-only', '--state', 'st'], { cwd: dir })).code).toBe(0);
      const port = await freePort();
      const args = flags(port);
      const result = await runCliInProcess(
        [
          'run',
          '--dir',
          'm',
          '--emulator',
          '--state',
          'st',
          '--webhook-secret',
          '0123456789abcdef0123',
          ...args,
        ],
        { cwd: dir, env: { AUDIENCECTL_LISTEN: undefined, AUDIENCECTL_WEBHOOK_LISTEN: undefined } },
      );
      expect(result.stderr).toBe(
        `Error: --webhook-listen (${args[3]}) is on the address of --listen (${args[1]}): the webhook is served alone on its own address; give it another port\n`,
      );
      expect(result.code).toBe(1);
    });
  });
});
