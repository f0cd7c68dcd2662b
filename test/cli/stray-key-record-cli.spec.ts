import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { paste } from '../helpers/paste.js';
import { audienceNames } from '../helpers/work-tree.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';
import { usePostgres } from '../state/pg.js';
import { badKeyFile, badKeyRow, badKeyStory } from '../helpers/bad-key-story.js';
import { commandsIn } from '../helpers/backticked.js';

/**
 * Pass 51's left undone (store.md): a record under a key no manifest can have (`Bad Key`, its
 * body's key the same, so the store reads it: a PostgreSQL row edited by hand, a record file
 * renamed) was not written by audiencectl. With bronze's manifest removed, plan showed
 * `- prod/Bad Key delete: manifest removed (bronze.yaml)`, and apply (and each controller pass)
 * failed that step on the key, every time, with no repair: `state forget` refused the key on
 * both stores, so only SQL or a file removed by hand mended it. Now the record is held, the
 * audience left as it is, and the note gives the state forget that drops the record, which
 * accepts the exact key of a record the store holds.
 */
const postgres = usePostgres();
const AUDIENCES = ['Audience bronze', 'Audience gold', 'Audience silver'];

/** gold, silver and bronze applied, bronze's record renamed, bronze.yaml removed. */
const strayStory = (root: string, emulator: TestEmulator, state: string, rename: () => Promise<void>) =>
  badKeyStory(root, emulator, state, ['gold', 'silver', 'bronze'], rename, (manifests) =>
    rm(path.join(manifests, 'bronze.yaml')),
  );

/** plan and apply leave the audience of prod/Bad Key alone; returns the forget plan's note prints. */
async function expectHeld(
  manifests: string,
  state: string,
  env: Record<string, string>,
  emulator: TestEmulator,
  bronzeId: string,
): Promise<string> {
  const planned = await runCli(['plan', manifests, '--state', state], { env });
  expect(planned.code, planned.stderr).toBe(0);
  expect(planned.stdout).not.toMatch(/Bad Key\s+delete/);
  const text = planned.stdout.replace(/\s+/g, ' ');
  expect(text).toContain(
    `prod/Bad Key: its key "Bad Key" is not one a manifest can have (lowercase letters, digits and "-", at most 63): the record was not written by audiencectl (made or edited outside it?); its audience ${bronzeId} is left as it is; drop the record with \``,
  );
  expect(text).toContain(
    "`, then, to manage the audience again, `audiencectl state import` it under its manifest's key",
  );
  const applied = await runCli(['apply', manifests, '--state', state, '--auto-approve'], { env });
  expect(applied.code, applied.stdout + applied.stderr).toBe(0);
  expect(audienceNames(emulator)).toEqual(AUDIENCES);
  const [forget = ''] = commandsIn(text).filter((command) => command.startsWith('audiencectl state forget'));
  // state list lists it, and says what it is and the same forget.
  const listed = await runCli(['state', 'list', '--state', state], { env });
  expect(listed.code, listed.stderr).toBe(0);
  expect(listed.stdout).toContain(
    `prod/Bad Key is under a sandbox or key no manifest can have: not written by audiencectl, plan and apply hold it; \`${forget}\` drops it.`,
  );
  return forget;
}

describe('a record under a key no manifest can have', () => {
  it('PostgreSQL: is held, not deleted, and the printed state forget drops the row', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const state = await postgres.freshLocation();
        const url = new URL(state);
        const schema = url.searchParams.get('schema') ?? '';
        const { manifests, env, bronzeId } = await strayStory(
          root,
          emulator,
          state,
          badKeyRow(postgres, schema),
        );
        const forget = await expectHeld(manifests, state, env, emulator, bronzeId);
        const display = `postgres://${url.username}@${url.host}${url.pathname}?schema=${schema}`;
        expect(forget).toBe(
          `audiencectl state forget 'Bad Key' --sandbox prod --state '${display}' --state-password-file PASSWORD_FILE`,
        );
        await writeFile(path.join(root, 'pw'), `${decodeURIComponent(url.password)}\n`, { mode: 0o600 });
        const forgot = await paste(forget.replace('PASSWORD_FILE', './pw'), { cwd: root });
        expect(forgot.stderr).toBe('');
        expect(forgot.code).toBe(0);
        expect(forgot.stdout).toContain(
          `Forgot prod/Bad Key (audience ${bronzeId}). The remote audience is untouched.`,
        );
        expect(
          await postgres.query(`SELECT key FROM "${schema}".audiences WHERE sandbox = 'prod' ORDER BY key`),
        ).toEqual([{ key: 'gold' }, { key: 'silver' }]);
        const after = await runCli(['plan', manifests, '--state', state], { env });
        expect(after.stdout).toContain('No changes.');
        expect(audienceNames(emulator)).toEqual(AUDIENCES);
      }),
    );
  });

  it('directory store: is held, not deleted, and the printed state forget drops the file', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const state = path.join(root, 'state');
        const { manifests, env, bronzeId } = await strayStory(root, emulator, state, badKeyFile(state));
        const forget = await expectHeld(manifests, state, env, emulator, bronzeId);
        expect(forget).toBe(`audiencectl state forget 'Bad Key' --sandbox prod --state ${state}`);
        // A key no record holds is still refused as one no manifest can have, as a path too.
        for (const key of ['BAD KEY', '../prod/gold']) {
          const refused = await runCli(['state', 'forget', key, '--sandbox', 'prod', '--state', state]);
          expect(refused.code).toBe(1);
          expect(refused.stderr).toMatch(
            /^Error: invalid audience key "[^"]+": use the manifest's metadata.name/,
          );
        }
        const forgot = await paste(forget, { cwd: root });
        expect(forgot.stderr).toBe('');
        expect(forgot.code).toBe(0);
        expect(forgot.stdout).toContain(
          `Forgot prod/Bad Key (audience ${bronzeId}). The remote audience is untouched.`,
        );
        const listed = await runCli(['state', 'list', '--state', state]);
        expect(listed.stdout).not.toContain('Bad Key');
        const after = await runCli(['plan', manifests, '--state', state], { env });
        expect(after.stdout).toContain('No changes.');
        expect(audienceNames(emulator)).toEqual(AUDIENCES);
      }),
    );
  });
});
