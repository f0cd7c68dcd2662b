import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apply } from '../helpers/apply-env.js';
import { commandsIn } from '../helpers/backticked.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { paste } from '../helpers/paste.js';
import { audienceNames } from '../helpers/work-tree.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';
import { usePostgres } from '../state/pg.js';
import { badKeyFile, badKeyRow, badKeyStory, QUIET } from '../helpers/bad-key-story.js';

/**
 * Pass 53's left undone (store.md, 2): a record under a key no manifest can have (`Bad Key`, made
 * outside audiencectl) whose own file now holds another manifest (bronze.yaml: metadata.name and
 * spec.name changed to silver, another audience: a name is not changed in place). The record is
 * held, but its hold said to import the audience "under its manifest's key", naming none (the
 * file's manifest is silver's, and `state import` refuses an audience under another name). Now
 * it says so, and prints the forget and an import to paste once the audience has a manifest.
 */
const postgres = usePostgres();

/** gold and bronze applied, bronze's record renamed, silver put in bronze.yaml. */
const changedStory = (root: string, emulator: TestEmulator, state: string, rename: () => Promise<void>) =>
  badKeyStory(root, emulator, state, ['gold', 'bronze'], rename, (manifests) =>
    writeFile(path.join(manifests, 'bronze.yaml'), manifestYaml('silver', QUIET)),
  );

/**
 * The plan creates silver and holds the record, saying why and what to do; pasting the forget,
 * then the import (KEY filled in) once kept.yaml names bronze's audience, leaves no change.
 */
async function expectWayOut(
  story: { manifests: string; env: Record<string, string>; bronzeId: string },
  state: string,
  root: string,
  emulator: TestEmulator,
  pasted: (command: string) => string,
): Promise<string> {
  const { manifests, env, bronzeId } = story;
  const planned = await runCli(['plan', manifests, '--state', state], { env });
  expect(planned.code, planned.stderr).toBe(0);
  expect(planned.stdout).toContain('+ prod/silver create: new manifest  (bronze.yaml:1)');
  const held = planned.stdout
    .slice(planned.stdout.indexOf('Held (left alone): 1'))
    .replace(/\s+/g, ' ')
    .trim();
  expect(held).toContain(
    `prod/Bad Key: its key "Bad Key" is not one a manifest can have (lowercase letters, digits and "-", at most 63): the record was not written by audiencectl (made or edited outside it?); its audience ${bronzeId} ("Audience bronze") is left as it is, and bronze.yaml, its file, now holds prod/silver, another audience; drop the record with \`audiencectl state forget 'Bad Key' --sandbox prod`,
  );
  expect(held).toContain(
    'then, to manage the audience again, give it a manifest whose spec.name is "Audience bronze" and `audiencectl state import KEY ',
  );
  expect(held).toMatch(/ \(KEY: that manifest's metadata.name\)$/);
  const [forget = '', importIt = ''] = commandsIn(held);
  expect(forget).toMatch(/^audiencectl state forget 'Bad Key' --sandbox prod --state /);
  expect(importIt).toMatch(
    new RegExp(`^audiencectl state import KEY \\S+ --sandbox prod --audience-id ${bronzeId} --state `),
  );
  expect((await paste(pasted(forget), { cwd: root, env })).code).toBe(0);
  // The audience's manifest, as the hold says: its spec.name, a key of the user's choosing.
  await writeFile(path.join(manifests, 'kept.yaml'), manifestYaml('bronze', QUIET));
  const imported = await paste(pasted(importIt.replace('KEY', 'bronze')), { cwd: root, env });
  expect(imported.code, imported.stdout + imported.stderr).toBe(0);
  expect((await apply(manifests, state, env)).code).toBe(0);
  const after = await runCli(['plan', manifests, '--state', state], { env });
  expect(after.code, after.stderr).toBe(0);
  expect(after.stdout).toContain('No changes.');
  expect(audienceNames(emulator)).toEqual(['Audience bronze', 'Audience gold', 'Audience silver']);
  const kept = emulator.control
    .listAudiences('DEMO0RG0000000000000000@AdobeOrg', 'prod')
    .find((audience) => audience.audienceName === 'Audience bronze');
  expect(kept?.audienceId).toBe(bronzeId);
  return forget;
}

describe('a record under a key no manifest can have, its own file now holding another manifest', () => {
  it('PostgreSQL: the hold says to forget the row, then to import the audience under a manifest of its name', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const state = await postgres.freshLocation();
        const url = new URL(state);
        const schema = url.searchParams.get('schema') ?? '';
        const story = await changedStory(root, emulator, state, badKeyRow(postgres, schema));
        await writeFile(path.join(root, 'pw'), `${decodeURIComponent(url.password)}\n`, { mode: 0o600 });
        await expectWayOut(story, state, root, emulator, (command) =>
          command.replace('PASSWORD_FILE', './pw'),
        );
        expect(
          await postgres.query(`SELECT key FROM "${schema}".audiences WHERE sandbox = 'prod' ORDER BY key`),
        ).toEqual([{ key: 'bronze' }, { key: 'gold' }, { key: 'silver' }]);
      }),
    );
  });

  it('directory store: the hold says to forget the file, then to import the audience under a manifest of its name', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const state = path.join(root, 'state');
        const story = await changedStory(root, emulator, state, badKeyFile(state));
        const forget = await expectWayOut(story, state, root, emulator, (command) => command);
        expect(forget).toBe(`audiencectl state forget 'Bad Key' --sandbox prod --state ${state}`);
      }),
    );
  });
});
