import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { emulatorEnv, ManifestDir } from '../helpers/apply-env.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { usePostgres } from './pg.js';

// A process keeps 4 connections to its PostgreSQL store, and an apply writes the intents of up to
// 8 calls at once. When every write waits on the server (a person's or a maintenance job's lock on
// the one `meta` row every write moves), the fifth waits for a free connection of the 4, and
// gives up at the connect timeout. That was said as a connection that could not be opened,
// "could not connect within 1 s (check the host, the port and the network; …)": the operator
// looked at the network while the server was up and the connections were busy waiting.
const postgres = usePostgres();
const made: string[] = [];
afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

describe("an apply whose writes all wait on the server, more of them than the store's connections", () => {
  it('says its connections were busy, not that the server could not be reached', async () => {
    const url = await postgres.freshLocation();
    const schema = new URL(url).searchParams.get('schema')!;
    await withEmulator({}, async (emulator) => {
      const root = await mkdtemp(path.join(tmpdir(), 'pool-busy-'));
      made.push(root);
      const dir = new ManifestDir(path.join(root, 'm'));
      const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
      await dir.write(names.map((name) => manifestObject(name, { ingestion: { onCreate: false } })));
      const person = new pg.Client({ connectionString: postgres.url, application_name: 'psql' });
      person.on('error', () => undefined);
      await person.connect();
      let result: CliResult | undefined;
      try {
        // The first apply's first write creates the meta row: a row there to lock.
        await postgres.query(
          `INSERT INTO "${schema}".meta (lineage, serial, orgs, revisions, nonce)
           VALUES (gen_random_uuid()::text, 0, '{}', '{}', gen_random_uuid()::text)`,
        );
        await person.query('BEGIN');
        await person.query(`SELECT 1 FROM "${schema}".meta FOR UPDATE`);
        const applying = runCli(
          [
            'apply',
            dir.dir,
            '--state',
            url,
            '--auto-approve',
            '--state-connect-timeout',
            '3s',
            '--state-query-timeout',
            '60s',
          ],
          { env: emulatorEnv(emulator) },
        ).then((ended) => (result = ended));
        // Released once the apply has said something of the waits, or ended.
        while (!result) {
          const [{ waiting } = { waiting: 0 }] = await postgres.query<{ waiting: number }>(
            `SELECT count(*)::int AS waiting FROM pg_stat_activity
              WHERE application_name = 'audiencectl' AND wait_event_type = 'Lock'`,
          );
          if (waiting >= 4) {
            // Every connection of the apply waits: the others wait for one of them, past the
            // connect timeout (3 s: it bounds opening a connection too, which a loaded machine
            // took over 1 s to do, and the apply said so: the sixtieth pass saw it at load 25).
            await new Promise((resolve) => setTimeout(resolve, 6_000));
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await person.query('COMMIT');
        await applying;
      } finally {
        await person.end().catch(() => undefined);
      }
      const said = result!.stderr + result!.stdout;
      expect(said).not.toMatch(/could not connect within/);
      expect(said).not.toMatch(/check the host, the port and the network/);
      expect(said).toMatch(
        /: no free connection within 3 s: the 4 connections this process keeps to the store were all busy, their statements waiting on the server \(for locks another session holds, or a slow server\); --state-connect-timeout or AUDIENCECTL_STATE_CONNECT_TIMEOUT raises the limit$/m,
      );
      // Nothing was sent for a step whose intent could not be written.
      const sent = emulator.control.counters().byEndpoint.createAudience.requests;
      const failed = said.match(/^FAILED {3}prod\/\w create: /gm)?.length ?? 0;
      expect(sent + failed).toBe(8);
    });
  });
});
