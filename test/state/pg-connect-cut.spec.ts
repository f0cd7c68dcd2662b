import { execFile } from 'node:child_process';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers.js';
import { usePostgres } from './pg.js';

// Our connect lasts one statement longer than node-postgres's: once the server has said
// "ready", the session gets its server-side limits (connection.ts sessionLimits). pg-pool
// listens for a client's 'error' only once its connect has called back, so a connection
// cut during that statement (a terminated backend, a controller cutting its sockets on
// losing the lock, a proxy) emitted an 'error' nobody heard: the process crashed with
// "Connection terminated unexpectedly" (CI saw it once, in a leader-deposed controller spec).

const db = usePostgres();
const run = promisify(execFile);
const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/**
 * Forwards to the suite's server, and cuts both sides of a connection the moment its
 * client sends the session-limits statement. `cuts` counts the connections it cut there.
 */
async function cuttingProxy(target: URL): Promise<{ port: number; cuts: () => number }> {
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', cut).on('close', cut);
    upstream.on('error', cut).on('close', cut);
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('data', (chunk: Buffer) => {
      if (chunk.includes('SET tcp_keepalives_idle')) {
        cuts += 1;
        cut();
      } else upstream.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, cuts: () => cuts };
}

describe('a connection cut while it gets its session limits', () => {
  it('fails the read that asked for it, with a clear error, and the process goes on', async () => {
    const location = new URL(await db.freshLocation());
    const proxy = await cuttingProxy(new URL(location));
    location.port = String(proxy.port);

    const { stdout, stderr } = await run(process.execPath, [
      path.join(repoRoot, 'test/state/fixtures/pg-read.mjs'),
      location.href,
    ]).catch((error: { code: number; stdout: string; stderr: string }) => {
      throw new Error(`pg-read.mjs exited ${error.code}: ${error.stderr}`);
    });

    // The cut landed inside our connect, after the server's "ready".
    expect(proxy.cuts()).toBeGreaterThanOrEqual(1);
    expect(stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^failed STATE_[A-Z_]+: .*connection/i),
    ]);
    expect(stderr).toBe('');
  });
});
