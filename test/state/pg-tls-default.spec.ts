import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { ownServer, selfSignedCertificate, type OwnServer } from './own-server.js';
import { appliedSpec, aRecord } from './helpers.js';
import { usePostgres } from './pg.js';

// A state URL naming no sslmode connected in clear text to a server that speaks TLS,
// where libpq (psql, every other client the team points at the same URL) tries TLS first
// (sslmode=prefer): the records, the lock's holder and, with md5 or password authentication,
// the password crossed the network readable.
const shared = usePostgres();
let server: OwnServer;

beforeAll(async () => {
  server = await ownServer();
  const { cert, key } = selfSignedCertificate();
  await server.writeDataFile('server.crt', cert);
  await server.writeDataFile('server.key', key);
  await server.start(['-c', 'ssl=on']);
}, 120_000);

afterAll(async () => {
  await server?.remove();
});

/** Whether every session of application_name `app` on `url`'s server is encrypted. */
async function sessionsEncrypted(url: string, app: string): Promise<boolean[]> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ ssl: boolean }>(
      `SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = $1`,
      [app],
    );
    return rows.map((row) => row.ssl);
  } finally {
    await admin.end();
  }
}

describe('a state URL naming no sslmode', () => {
  it("is encrypted when the server speaks TLS, as libpq's default (prefer) would be", async () => {
    const location = `${server.url}?schema=tls_default`;
    const init = await runCliInProcess(['init', '--state-only', '--state', location]);
    expect(init.code, init.stderr).toBe(0);
    const store = await openStateStore(location);
    try {
      // The pool keeps the read's session open (idle) while the server is asked about it.
      await store.readAll();
      const encrypted = await sessionsEncrypted(server.url, 'audiencectl');
      expect(encrypted.length).toBeGreaterThan(0);
      expect(encrypted).toEqual(encrypted.map(() => true));
    } finally {
      await store.close();
    }
  });

  it('carries writes and a read of hundreds of kilobytes whole over TLS', async () => {
    const location = `${server.url}?schema=tls_volume`;
    const init = await runCliInProcess(['init', '--state-only', '--state', location]);
    expect(init.code, init.stderr).toBe(0);
    const store = await openStateStore(location);
    try {
      await store.lock();
      const keys = Array.from({ length: 150 }, (_, i) => `k${String(i).padStart(3, '0')}`);
      for (const key of keys) await store.put(aRecord(key, { applied: appliedSpec(key, 'd'.repeat(4_000)) }));
      const { audiences } = await store.readAll();
      expect(audiences.map((record) => record.key)).toEqual(keys);
      expect(audiences.map((record) => record.applied?.spec.description.length)).toEqual(
        keys.map(() => 4_000),
      );
      expect(await sessionsEncrypted(server.url, 'audiencectl')).not.toContain(false);
    } finally {
      await store.close();
    }
  });

  it('still connects to a server without TLS (the shared test server), as prefer does', async () => {
    const location = await shared.freshLocation();
    const store = await openStateStore(location);
    try {
      expect((await store.readAll()).audiences).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe('an sslmode the URL names is honoured', () => {
  it('sslmode=require never falls back to clear text on a server without TLS', async () => {
    const location = `${await shared.freshLocation()}&sslmode=require`;
    const listed = await runCliInProcess(['state', 'list', '--state', location]);
    expect(listed.code).not.toBe(0);
    expect(listed.stderr).toMatch(/does not support SSL/);
  });

  it('sslmode=verify-full refuses a certificate no CA vouches for', async () => {
    const listed = await runCliInProcess([
      'state',
      'list',
      '--state',
      `${server.url}?schema=tls_default&sslmode=verify-full`,
    ]);
    expect(listed.code).not.toBe(0);
    expect(listed.stderr).toMatch(/self[- ]signed certificate/);
  });

  it('sslmode=disable stays in clear text on a server that speaks TLS', async () => {
    const location = `${server.url}?schema=tls_default&sslmode=disable`;
    const store = await openStateStore(location);
    try {
      await store.readAll();
      // The first test's store is closed: its sessions are gone.
      expect(await sessionsEncrypted(server.url, 'audiencectl')).toEqual([false]);
    } finally {
      await store.close();
    }
  });
});
