import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { paste } from '../helpers/paste.js';
import { audienceNames } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { usePostgres } from './pg.js';
import { commandsIn } from '../helpers/backticked.js';

/**
 * Pass 52's left undone (store.md, 3): a PostgreSQL row whose key holds a `/` (`team/bronze`,
 * edited by hand) is held as any record under a key no manifest can have, but `state forget`
 * refused the key at once (no record file can be named so), and the hold said to remove the row
 * from the store, by SQL. A row's key is a value, never a path: forget now takes it when the
 * store lists a record under exactly that key, as it takes `Bad Key`. A directory store cannot
 * hold such a key (its listing sees no such file), so forget still refuses it there.
 * Pass 53's left undone (store.md, 3): `state show team/bronze` was still refused before the
 * store was opened; it now shows the row on the same terms as forget takes it.
 */
const postgres = usePostgres();
const quiet = { ingestion: { onCreate: false } };
const AUDIENCES = ['Audience bronze', 'Audience gold'];
const REFUSED = /^Error: invalid audience key "[^"]+": use the manifest's metadata.name/;

describe("a PostgreSQL row whose key holds a '/'", () => {
  it('is held, and the state forget the hold prints drops the row; a key no row has is refused', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const state = await postgres.freshLocation();
        const url = new URL(state);
        const schema = url.searchParams.get('schema') ?? '';
        const manifests = path.join(root, 'audiences');
        const env = emulatorEnv(emulator);
        await mkdir(manifests);
        for (const name of ['gold', 'bronze'])
          await writeFile(path.join(manifests, `${name}.yaml`), manifestYaml(name, quiet));
        expect((await apply(manifests, state, env)).code).toBe(0);
        await postgres.query(
          `UPDATE "${schema}".audiences SET key = 'team/bronze', body = jsonb_set(body, '{key}', '"team/bronze"') WHERE sandbox = 'prod' AND key = 'bronze'`,
        );
        await rm(path.join(manifests, 'bronze.yaml'));

        const planned = await runCli(['plan', manifests, '--state', state], { env });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout).not.toMatch(/team\/bronze\s+delete/);
        const text = planned.stdout.replace(/\s+/g, ' ');
        expect(text).toContain('prod/team/bronze: its key "team/bronze" is not one a manifest can have');
        expect(text).not.toContain('remove it from the state store');
        const [forget = ''] = commandsIn(text).filter((command) =>
          command.startsWith('audiencectl state forget'),
        );
        const display = `postgres://${url.username}@${url.host}${url.pathname}?schema=${schema}`;
        expect(forget).toBe(
          `audiencectl state forget team/bronze --sandbox prod --state '${display}' --state-password-file PASSWORD_FILE`,
        );

        await writeFile(path.join(root, 'pw'), `${decodeURIComponent(url.password)}\n`, { mode: 0o600 });
        // state show shows the row the store lists under exactly that key, with --sandbox or without.
        for (const sandbox of [['--sandbox', 'prod'], []]) {
          const shown = await runCli(['state', 'show', 'team/bronze', ...sandbox, '--state', state]);
          expect(shown.stderr).toBe('');
          expect(shown.code).toBe(0);
          expect(JSON.parse(shown.stdout)).toMatchObject({ sandbox: 'prod', key: 'team/bronze' });
        }
        // A key holding a '/' that no row has is refused as before (show, then forget); so is a
        // path out of a folder, before the store is asked (7aa6a030).
        for (const key of ['team/silver', '../etc', 'team/../bronze']) {
          const refused = await runCli(['state', 'show', key, '--sandbox', 'prod', '--state', state]);
          expect(refused.code).toBe(1);
          expect(refused.stderr).toMatch(REFUSED);
        }
        const other = await paste(
          forget.replace('team/bronze', 'team/silver').replace('PASSWORD_FILE', './pw'),
          { cwd: root },
        );
        expect(other.code).toBe(1);
        expect(other.stderr).toMatch(REFUSED);

        const forgot = await paste(forget.replace('PASSWORD_FILE', './pw'), { cwd: root });
        expect(forgot.stderr).toBe('');
        expect(forgot.code).toBe(0);
        expect(forgot.stdout).toContain('Forgot prod/team/bronze (audience ');
        expect(
          await postgres.query(`SELECT key FROM "${schema}".audiences WHERE sandbox = 'prod' ORDER BY key`),
        ).toEqual([{ key: 'gold' }]);
        const after = await runCli(['plan', manifests, '--state', state], { env });
        expect(after.stdout).toContain('No changes.');
        expect(audienceNames(emulator)).toEqual(AUDIENCES);
      }),
    );
  });

  it('show refuses a key with a part that could lead out of a folder before the store is asked', async () => {
    // On a database that does not exist: the store, asked, would say so (as it does for
    // team/bronze, a key it decides), so the bad key's refusal shows the store was not asked.
    // On a reachable store the store's own refusal reads alike, and proves nothing of the order.
    const location = new URL(postgres.url);
    location.pathname = '/no_such_database';
    location.searchParams.set('schema', 'audiencectl');
    const asked = await runCli([
      'state',
      'show',
      'team/bronze',
      '--sandbox',
      'prod',
      '--state',
      location.href,
    ]);
    expect(asked.code).toBe(1);
    expect(asked.stderr).toContain('no_such_database');
    for (const key of ['../etc', 'team/../bronze', 'team/.hidden', 'team//bronze', '/bronze', 'team/']) {
      const refused = await runCli(['state', 'show', key, '--sandbox', 'prod', '--state', location.href]);
      expect(refused.code, key).toBe(1);
      expect(refused.stderr, key).toBe(
        `Error: invalid audience key "${key}": use the manifest's metadata.name (lowercase letters, digits and "-", at most 63)\n`,
      );
    }
  });

  it('a directory store holds no such key: forget refuses it, and touches nothing outside its records', async () => {
    await withTempDir(async (root) => {
      const state = path.join(root, 'state');
      expect((await runCli(['init', '--state-only', '--state', state])).code).toBe(0);
      // A file where a '/' key would point: not a record of the store, and left alone.
      await mkdir(path.join(state, 'audiences', 'prod', 'team'), { recursive: true });
      const outside = path.join(state, 'audiences', 'prod', 'team', 'bronze.json');
      await writeFile(outside, '{}');
      for (const command of ['forget', 'show']) {
        const refused = await runCli([
          'state',
          command,
          'team/bronze',
          '--sandbox',
          'prod',
          '--state',
          state,
        ]);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(REFUSED);
      }
      expect((await runCli(['state', 'list', '--state', state])).stdout).not.toContain('team');
      expect(await readFile(outside, 'utf8')).toBe('{}');
    });
  });
});
