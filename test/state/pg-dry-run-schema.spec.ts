import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { usePostgres } from './pg.js';

/**
 * REVIEW-34a M-3, the controller's side. A dry-run release of the chart has no init step
 * (test/deploy/chart-dry-run-migrates.spec.ts), so a dry-run controller on a schema an older
 * release left must refuse it in one line naming `audiencectl init`, and change nothing in it:
 * the schema stays as the applying release's controllers use it.
 */
const pg = usePostgres();

describe('a dry-run controller on a PostgreSQL schema an older release left', () => {
  it('refuses to start, names init, and leaves the schema as it was', async () => {
    await withTempDir(async (tmp) => {
      const dir = path.join(tmp, 'audiences');
      await mkdir(dir);
      await writeFile(path.join(dir, 'README.md'), 'no manifests yet\n');
      const state = await pg.freshLocation();
      const url = new URL(state);
      const schema = url.searchParams.get('schema') ?? '';
      url.password = '';
      url.username = '';
      // The schema as a release with migrations 1 to 4 recorded it (what a newer init would
      // migrate; the controller checks the recorded version before anything else).
      await pg.query(`DELETE FROM "${schema}".schema_migrations WHERE version >= 5`);
      const shape = async () => ({
        versions: (
          await pg.query<{ version: number }>(
            `SELECT version FROM "${schema}".schema_migrations ORDER BY version`,
          )
        ).map((row) => row.version),
        columns: await pg.query<{ table_name: string; column_name: string }>(
          `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1
           ORDER BY table_name, column_name`,
          [schema],
        ),
      });
      const before = await shape();
      expect(before.versions).toEqual([1, 2, 3, 4]);
      expect(before.columns).toContainEqual({ table_name: 'meta', column_name: 'serial' });

      const run = await runCli(['run', '--dir', dir], {
        env: {
          AUDIENCECTL_STATE: state,
          AUDIENCECTL_DRY_RUN: 'true',
          AUDIENCECTL_REFRESH_INTERVAL: '0',
          AUDIENCECTL_LISTEN: '127.0.0.1:0',
        },
        stopOn: /controller started/,
      });
      expect(run.code).toBe(1);
      // Its one line, last, after the log's note that a dry run without credentials calls no API.
      expect(run.stderr.split('\n').slice(-2)).toEqual([
        `Error: the PostgreSQL state ${url.href} is at schema version 4, this audiencectl needs 7; migrate it with \`audiencectl init\``,
        '',
      ]);
      expect(run.stderr).not.toMatch(/^\s+at /m);
      expect(await shape()).toEqual(before);
    });
  });
});
