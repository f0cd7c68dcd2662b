import { spawn } from 'node:child_process';
import net, { type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { holding } from '../state/signalled-state-cli.js';
import { useTempDirs } from '../state/helpers.js';

// Review 39 (cli-39) 3: `state migrate` catches Ctrl-C and SIGTERM (a wait for either lock ends,
// a copy stops at its next record), but while it connects to a PostgreSQL server that does not
// answer, the first Ctrl-C was heard by nobody: it waited the connect out (10 s by default,
// --state-connect-timeout) and then failed with "could not connect", exit 1. Nothing was
// copied yet: it should stop at once, `interrupted (SIGINT): nothing was copied`, exit 130.

const tempDir = useTempDirs();
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

describe('state migrate to a PostgreSQL store that does not answer', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'stops at the first %s while it connects, nothing copied',
    async (signal) => {
      const { port, accepted } = await silentServer();
      const from = await holding(`${await tempDir()}/state`, 'gold');
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
          'migrate',
          '--from',
          from,
          '--to',
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
        matches: new RegExp(`^Error: interrupted \\(${signal}\\): nothing was copied`).test(first),
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
