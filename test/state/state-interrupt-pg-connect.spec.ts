import { spawn } from 'node:child_process';
import net, { type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';

// Review 38v, L-1: `state import|forget|settle-run` now catch Ctrl-C and SIGTERM (9a0a170c) and
// decide where they stop, but only once the store is open. On a PostgreSQL store the open
// connects (10 s by default, --state-connect-timeout), and the first Ctrl-C there is heard by
// nobody: the command waits the connect out and then fails with "could not connect", exit 1.
// Before that commit Node's default ended it at once. Nothing was done yet: it should stop
// at once, `interrupted (SIGINT): nothing was changed`, exit 130.

const servers: net.Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A PostgreSQL address that accepts connections and never answers (a server gone silent). */
async function silentServer(): Promise<{ port: number; accepted: Promise<void> }> {
  let accept!: () => void;
  const accepted = new Promise<void>((resolve) => (accept = resolve));
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('data', () => undefined).on('error', () => undefined);
    accept();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, accepted };
}

describe('state forget on a PostgreSQL store that does not answer', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'stops at the first %s while it connects',
    async (signal) => {
      const { port, accepted } = await silentServer();
      const env = Object.fromEntries(
        Object.entries(process.env).filter(
          ([name]) => !name.startsWith('AEP_') && !name.startsWith('AUDIENCECTL_'),
        ),
      );
      const child = spawn(
        process.execPath,
        [
          CLI,
          'state',
          'forget',
          'gold',
          '--sandbox',
          'prod',
          '--state',
          `postgres://audiencectl:pw@127.0.0.1:${port}/audiences`,
          '--state-connect-timeout',
          '20s',
        ],
        { env: { ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      // The command is connecting: the server has its socket.
      await accepted;
      child.kill(signal);
      const code = await exited;
      const first = stderr.trim().split('\n')[0] ?? '';
      expect({
        code,
        matches: new RegExp(`^Error: interrupted \\(${signal}\\): nothing was changed`).test(first),
        first,
      }).toEqual({
        code: signal === 'SIGINT' ? 130 : 143,
        matches: true,
        first,
      });
    },
    60_000,
  );
});
