import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { useTempDirs } from './helpers.js';

// With no password from any source (URL, --state-password-file, PGPASSWORD, a password
// file), a server asking for an md5 or a clear-text password was sent an empty one and
// answered 28P01, which the CLI printed as "the password was refused": as if one had been
// given. (A SCRAM server's case was already said right: test/state/pg-cli.spec.ts.) The
// embedded server of the suite asks for SCRAM, so a minimal server of the protocol's
// start asks for these: it answers a password message with the server's 28P01.

const tempDir = useTempDirs();
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function message(type: string, body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(body.length + 4);
  return Buffer.concat([Buffer.from(type), length, body]);
}

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}

/** What PostgreSQL sends for a wrong password (SQLSTATE 28P01). */
const REFUSED = message(
  'E',
  Buffer.from('SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "app"\0\0'),
);

/** The SSLRequest's code, in place of a startup's protocol version. */
const SSL_REQUEST = 80877103;

/** A server that asks for `method`'s password; `passwords` counts the password messages it got. */
async function askingServer(method: 'md5' | 'cleartext'): Promise<{ port: number; passwords: () => number }> {
  let passwords = 0;
  const request =
    method === 'md5'
      ? message('R', Buffer.concat([int32(5), Buffer.from([1, 2, 3, 4])]))
      : message('R', int32(3));
  const server = createServer((socket: Socket) => {
    let startup = true;
    let pending = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (startup) {
        if (pending.length < 4 || pending.length < pending.readInt32BE(0)) return;
        const length = pending.readInt32BE(0);
        // An SSLRequest (a client preferring TLS, as libpq's default): "N", no TLS here, as a
        // server without it answers; the startup follows in clear text.
        if (length === 8 && pending.readInt32BE(4) === SSL_REQUEST) {
          pending = pending.subarray(length);
          socket.write('N');
          return;
        }
        pending = pending.subarray(length);
        startup = false;
        socket.write(request);
      }
      if (pending[0] === 'p'.charCodeAt(0)) {
        passwords += 1;
        socket.end(REFUSED);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, passwords: () => passwords };
}

describe.each(['md5', 'cleartext'] as const)(
  'a server asking for a %s password, none given anywhere',
  (method) => {
    it('is told none was given, and where to give one; no empty password is sent', async () => {
      const { port, passwords } = await askingServer(method);
      const result = await runCliInProcess(
        ['state', 'list', '--state', `postgres://app@127.0.0.1:${port}/db`],
        {
          env: { PGPASSWORD: undefined, PGPASSFILE: path.join(await tempDir(), 'no-pgpass') },
        },
      );
      expect([result.code, result.stdout, result.stderr]).toEqual([
        1,
        '',
        `Error: PostgreSQL state postgres://127.0.0.1:${port}/db?schema=audiencectl: the server asks for a password and none was given: set it with --state-password-file (or AUDIENCECTL_STATE_PASSWORD_FILE), PGPASSWORD, or a password file (PGPASSFILE, else ~/.pgpass)\n`,
      ]);
      expect(passwords()).toBe(0);
    });
  },
);

describe("a PostgreSQL URL's sslmode", () => {
  it('that node-postgres does not know is refused up front, naming it and --state, the password not shown', async () => {
    const result = await runCliInProcess([
      'state',
      'list',
      '--state',
      'postgres://app:pw-canary-5e1f@127.0.0.1:1/db?sslmode=bogus',
    ]);
    expect([result.code, result.stdout, result.stderr]).toEqual([
      1,
      '',
      `Error: --state: the URL's sslmode "bogus" is not one audiencectl's PostgreSQL client knows: give disable, prefer, require, verify-ca, verify-full or no-verify\n`,
    ]);
  });

  it('that it knows is passed on (the connection is then tried)', async () => {
    const result = await runCliInProcess([
      'state',
      'list',
      '--state',
      'postgres://app:pw-canary-5e1f@127.0.0.1:1/db?sslmode=disable',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^Error: PostgreSQL state postgres:\/\/127\.0\.0\.1:1\/db\?sslmode=disable&schema=audiencectl: connect ECONNREFUSED/,
    );
    expect(result.stderr).not.toContain('pw-canary-5e1f');
  });
});
