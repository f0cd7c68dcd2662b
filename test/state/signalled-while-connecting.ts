import { spawn } from 'node:child_process';
import net, { type AddressInfo, type Socket } from 'node:net';
import { expect } from 'vitest';
import { CLI } from '../helpers/cli.js';

/**
 * The built CLI run with `args(url)`, `url` a PostgreSQL address that accepts connections and
 * never answers (a server gone silent), and sent `signal` once the server holds its socket
 * (the command is connecting). Its exit code and the first line of its standard error.
 */
export async function signalledWhileConnecting(
  args: (url: string) => string[],
  signal: NodeJS.Signals,
): Promise<{ code: number | null; first: string }> {
  const sockets: Socket[] = [];
  let accept!: () => void;
  const accepted = new Promise<void>((resolve) => (accept = resolve));
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('data', () => undefined).on('error', () => undefined);
    accept();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const env = Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) => !name.startsWith('AEP_') && !name.startsWith('AUDIENCECTL_'),
      ),
    );
    const child = spawn(
      process.execPath,
      [
        CLI,
        ...args(`postgres://audiencectl:pw@127.0.0.1:${port}/audiences`),
        '--state-connect-timeout',
        '20s',
      ],
      { env: { ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await accepted;
    child.kill(signal);
    const code = await exited;
    return { code, first: stderr.trim().split('\n')[0] ?? '' };
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Run as signalledWhileConnecting, the command said "interrupted (<signal>): <said>" first, exit 130 or 143. */
export async function expectStoppedWhileConnecting(
  args: (url: string) => string[],
  signal: NodeJS.Signals,
  said: string,
): Promise<void> {
  const { code, first } = await signalledWhileConnecting(args, signal);
  expect({ code, stopped: first.startsWith(`Error: interrupted (${signal}): ${said}`), first }).toEqual({
    code: signal === 'SIGINT' ? 130 : 143,
    stopped: true,
    first,
  });
}
