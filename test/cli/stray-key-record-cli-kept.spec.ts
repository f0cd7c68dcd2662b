import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apply } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { paste } from '../helpers/paste.js';
import { audienceNames } from '../helpers/work-tree.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';
import { usePostgres } from '../state/pg.js';
import { badKeyFile, badKeyRow, badKeyStory } from '../helpers/bad-key-story.js';
import { commandsIn } from '../helpers/backticked.js';

/**
 * Pass 52's left undone (store.md, 2): a record under a key no manifest can have (`Bad Key`, made
 * outside audiencectl: a PostgreSQL row edited by hand, a record file renamed) while the manifest
 * of its audience is still there. The plan shows a blocked move (a changed metadata.name) whose
 * way to keep the audience was "set metadata.name back to Bad Key", which no manifest can be;
 * and `state show 'Bad Key'` refused the key, though the store lists a record under it and
 * `state forget` takes it. Now the move says what can be done (forget the record, then import
 * the audience under its manifest's key: both commands pasted here), and show shows the record.
 */
const postgres = usePostgres();
const AUDIENCES = ['Audience bronze', 'Audience gold'];

/** gold and bronze applied, bronze's record renamed; bronze.yaml stays. */
const keptStory = (root: string, emulator: TestEmulator, state: string, rename: () => Promise<void>) =>
  badKeyStory(root, emulator, state, ['gold', 'bronze'], rename);

/**
 * plan holds the move and says to forget the record and import the audience, state show shows
 * the record; pasting the two commands (`pasted`: how each is made runnable) leaves no change.
 */
async function expectWayOut(
  story: { manifests: string; env: Record<string, string>; bronzeId: string },
  state: string,
  root: string,
  emulator: TestEmulator,
  pasted: (command: string) => string,
): Promise<{ forget: string; importBronze: string }> {
  const { manifests, env, bronzeId } = story;
  const planned = await runCli(['plan', manifests, '--state', state], { env });
  expect(planned.code, planned.stderr).toBe(0);
  const text = planned.stdout.replace(/\s+/g, ' ');
  expect(text).toContain('prod/Bad Key move: metadata.name is now "bronze" in bronze.yaml');
  expect(text).not.toContain('back to Bad Key');
  expect(text).toContain(
    'blocked: a changed metadata.name is never applied as delete + create. Its key "Bad Key" is not one a manifest can have (lowercase letters, digits and "-", at most 63): the record was not written by audiencectl (made or edited outside it?), and no manifest can take its key back. To manage the audience under bronze: drop the record with `audiencectl state forget \'Bad Key\' --sandbox prod',
  );
  const [forget = '', importBronze = ''] = commandsIn(text);
  expect(forget).toMatch(/^audiencectl state forget 'Bad Key' --sandbox prod --state /);
  expect(importBronze).toMatch(
    new RegExp(`^audiencectl state import bronze \\S+ --sandbox prod --audience-id ${bronzeId} --state `),
  );

  // state show shows the record the store lists under exactly that key.
  const shown = await runCli(['state', 'show', 'Bad Key', '--sandbox', 'prod', '--state', state], { env });
  expect(shown.stderr).toBe('');
  expect(shown.code).toBe(0);
  expect(JSON.parse(shown.stdout)).toMatchObject({ sandbox: 'prod', key: 'Bad Key', audienceId: bronzeId });
  // Without --sandbox too: the sandbox that lists it.
  const anySandbox = await runCli(['state', 'show', 'Bad Key', '--state', state], { env });
  expect(anySandbox.code, anySandbox.stderr).toBe(0);
  expect(JSON.parse(anySandbox.stdout)).toMatchObject({ key: 'Bad Key', audienceId: bronzeId });
  // A key no record holds is refused as one no manifest can have, as before.
  for (const key of ['BAD KEY', '../etc']) {
    const refused = await runCli(['state', 'show', key, '--sandbox', 'prod', '--state', state], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^Error: invalid audience key "[^"]+": use the manifest's metadata.name/);
  }

  for (const command of [forget, importBronze]) {
    const ran = await paste(pasted(command), { cwd: root, env });
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
  }
  // Imported: its first apply PATCHes the audience to its manifest, and nothing is left.
  const imported = await runCli(['plan', manifests, '--state', state], { env });
  expect(imported.code, imported.stderr).toBe(0);
  expect(imported.stdout).toMatch(/prod\/bronze update: imported audience/);
  expect(imported.stdout).toContain('Plan: 0 to create, 1 to update, 0 to replace, 0 to delete');
  expect((await apply(manifests, state, env)).code).toBe(0);
  const after = await runCli(['plan', manifests, '--state', state], { env });
  expect(after.code, after.stderr).toBe(0);
  expect(after.stdout).toContain('No changes.');
  expect(audienceNames(emulator)).toEqual(AUDIENCES);
  return { forget, importBronze };
}

describe("a record under a key no manifest can have, its audience's manifest still there", () => {
  it('PostgreSQL: the move says to forget the row and import the audience, and show shows the row', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const state = await postgres.freshLocation();
        const url = new URL(state);
        const schema = url.searchParams.get('schema') ?? '';
        const story = await keptStory(root, emulator, state, badKeyRow(postgres, schema));
        await writeFile(path.join(root, 'pw'), `${decodeURIComponent(url.password)}\n`, { mode: 0o600 });
        const { forget } = await expectWayOut(story, state, root, emulator, (command) =>
          command.replace('PASSWORD_FILE', './pw'),
        );
        const display = `postgres://${url.username}@${url.host}${url.pathname}?schema=${schema}`;
        expect(forget).toBe(
          `audiencectl state forget 'Bad Key' --sandbox prod --state '${display}' --state-password-file PASSWORD_FILE`,
        );
        expect(
          await postgres.query(`SELECT key FROM "${schema}".audiences WHERE sandbox = 'prod' ORDER BY key`),
        ).toEqual([{ key: 'bronze' }, { key: 'gold' }]);
      }),
    );
  });

  it('directory store: the move says to forget the file and import the audience, and show shows the record', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const state = path.join(root, 'state');
        const story = await keptStory(root, emulator, state, badKeyFile(state));
        const { forget } = await expectWayOut(story, state, root, emulator, (command) => command);
        expect(forget).toBe(`audiencectl state forget 'Bad Key' --sandbox prod --state ${state}`);
      }),
    );
  });
});
