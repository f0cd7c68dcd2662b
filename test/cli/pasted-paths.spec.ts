import { cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js';
import { readState } from '../../src/state/read.js';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestObject, manifestYaml } from '../helpers/manifests.js';
import { paste } from '../helpers/paste.js';
import { withEmulator } from '../helpers/with-emulator.js';

/** Every file under `dir`, by relative path, as bytes (hex): a store compared byte for byte. */
async function filesOf(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    files[path.relative(dir, file)] = (await readFile(file)).toString('hex');
  }
  return files;
}

/** A configuration file with the emulator's credentials: the only ones the commands get (its secret's variable aside). */
function configYaml(emulator: RunningEmulator, state?: string): string {
  return [
    `baseUrl: ${emulator.apiBaseUrl}`,
    `imsUrl: ${emulator.imsUrl}`,
    'credentials:',
    `  clientId: ${DEMO_CLIENT.clientId}`,
    '  clientSecretEnv: PASTE_TEST_SECRET',
    `  orgId: ${DEMO_CLIENT.orgId}`,
    ...(state === undefined ? [] : [`state: ${state}`]),
    '',
  ].join('\n');
}

/** No AEP_* credentials and no store from the environment: only the flags say where. */
const FLAGS_ONLY = {
  AEP_CLIENT_ID: undefined,
  AEP_CLIENT_SECRET: undefined,
  AEP_ORG_ID: undefined,
  AUDIENCECTL_STATE: undefined,
  AUDIENCECTL_STATE_DIR: undefined,
  AUDIENCECTL_CONFIG: undefined,
  AUDIENCECTL_POLL_INTERVAL_MS: '25',
  PASTE_TEST_SECRET: DEMO_CLIENT.clientSecret,
};

/** `pattern`'s first group in `text`, which must match. */
function printed(text: string, pattern: RegExp): string {
  const found = pattern.exec(text)?.[1];
  expect(found, `${pattern} in:\n${text}`).toBeDefined();
  return found!;
}

/**
 * review 7, M6 and L2: a command a message suggests with the user's path in it runs as printed
 * when pasted into a shell: `init --state "…"` expanded `$HOME` in a double-quoted path, and
 * `--out my plans/plan.json` split into two arguments. The pasted commands run in /bin/sh with
 * the built CLI; the commands that print them, and the apply of the plan one saved, run the CLI's
 * own entry in this process (the same code and output), as in the cases below.
 */
describe('suggested commands that embed a path, pasted as printed', () => {
  it('init --state for a missing store whose path has a space, a $ and a quote', async () => {
    await withEmulator({}, async (emulator) => {
      await withTempDir(async (tmp) => {
        await writeFiles(path.join(tmp, 'aud'), { 'gold.yaml': manifestYaml('gold') });
        const state = path.join(tmp, "st $HOME it's");
        const env = emulatorEnv(emulator);
        const refused = await runCliInProcess(['apply', 'aud', '--state', state, '--auto-approve'], {
          cwd: tmp,
          env,
        });
        expect(refused.code).toBe(1);
        const init = `audiencectl init --state '${tmp}/st $HOME it'\\''s'`;
        expect(refused.stderr).toBe(
          `Error: no state store at ${state} (--state or AUDIENCECTL_STATE): if it is new, create it with \`${init}\`; otherwise fix the location\n`,
        );
        const created = await paste(init, { cwd: tmp, env });
        expect(created.stderr).toBe('');
        expect(created.code).toBe(0);
        expect(existsSync(state)).toBe(true);
        expect(existsSync(path.join(tmp, 'st'))).toBe(false);
      });
    });
  });

  it('plan --out for a saved plan that does not exist, in a folder with a space', async () => {
    await withEmulator({}, async (emulator) => {
      await withTempDir(async (tmp) => {
        await writeFiles(path.join(tmp, 'aud'), { 'gold.yaml': manifestYaml('gold') });
        await mkdir(path.join(tmp, 'st'));
        await mkdir(path.join(tmp, 'my plans'));
        const env = { ...emulatorEnv(emulator), AUDIENCECTL_STATE: path.join(tmp, 'st') };
        const missing = await runCliInProcess(['apply', 'my plans/plan.json', '--auto-approve'], {
          cwd: tmp,
          env,
        });
        expect(missing.code).toBe(1);
        const save = "audiencectl plan MANIFESTS_DIR --output json --out 'my plans/plan.json'";
        expect(missing.stderr).toBe(
          `Error: my plans/plan.json does not exist: save a plan with \`${save}\` (MANIFESTS_DIR: your manifests directory), or give the directory of the manifests\n`,
        );
        const saved = await paste(save.replace('MANIFESTS_DIR', 'aud'), { cwd: tmp, env });
        expect(saved.code).toBe(0);
        const applied = await runCliInProcess(['apply', 'my plans/plan.json', '--auto-approve'], {
          cwd: tmp,
          env,
        });
        expect(applied.stderr).toMatch(/^Applying to /);
        expect(applied.code).toBe(0);
        expect(applied.stdout).toMatch(/created/);
      });
    });
  });

  it("a move's commands, pasted from plan and then state import, reach the --state store with --config's credentials; the default store is untouched", async () => {
    await withEmulator({}, async (emulator) => {
      await withTempDir(async (tmp) => {
        const env = { ...FLAGS_ONLY };
        const flags = ['--state', 'stores/prod st', '--config', 'prod.yaml'];
        await writeFile(path.join(tmp, 'prod.yaml'), configYaml(emulator));
        await mkdir(path.join(tmp, 'stores/prod st'), { recursive: true });
        await writeFiles(path.join(tmp, 'aud'), {
          'gold.yaml': manifestYaml('gold', { metadata: { sandbox: 'prod' } }),
        });
        const applied = await runCliInProcess(['apply', 'aud', ...flags, '--auto-approve'], {
          cwd: tmp,
          env,
        });
        expect(applied.code).toBe(0);
        const prodId = (await readState(path.join(tmp, 'stores/prod st'))).audiences[0]?.audienceId;
        expect(prodId).toBeDefined();
        // The audience the move finds in dev, made by another store's apply.
        const dev = { 'gold.yaml': manifestYaml('gold', { metadata: { sandbox: 'dev' } }) };
        await writeFiles(path.join(tmp, 'aud-dev'), dev);
        expect(
          (await apply(path.join(tmp, 'aud-dev'), path.join(tmp, 'other'), emulatorEnv(emulator))).code,
        ).toBe(0);
        const devId = (await readState(path.join(tmp, 'other'))).audiences[0]?.audienceId;
        // A decoy at the default location, holding the same record: a command that misses the
        // flags forgets and imports there.
        const decoy = path.join(tmp, '.audiencectl-state');
        await cp(path.join(tmp, 'stores/prod st'), decoy, { recursive: true });
        const decoyBefore = await filesOf(decoy);
        expect(Object.keys(decoyBefore)).toContain(path.join('audiences', 'prod', 'gold.json'));
        await writeFiles(path.join(tmp, 'aud'), dev);

        const planned = await runCliInProcess(['plan', 'aud', ...flags], { cwd: tmp, env });
        expect(planned.code).toBe(0);
        const carried = " --state 'stores/prod st' --config prod.yaml";
        const importCommand = printed(
          planned.stdout,
          /instead: `[^`]*`, then `(audiencectl state import [^`]*)`/,
        );
        expect(importCommand).toBe(
          `audiencectl state import gold aud --sandbox dev --audience-id AUDIENCE_ID${carried}`,
        );
        const imported = await paste(importCommand.replace('AUDIENCE_ID', devId!), {
          cwd: tmp,
          env,
        });
        expect(imported.code).toBe(0);
        expect(imported.stdout).toContain(`Imported dev/gold: audience ${devId}.`);
        // Checked with the credentials of --config, which alone has them.
        expect(imported.stdout).toContain(
          `Verified through the service: audience ${devId} is the external audience "Audience gold".`,
        );
        const forget = printed(
          imported.stderr,
          /to stop managing it \(the audience stays\): (audiencectl state forget .*)\n/,
        );
        expect(forget).toBe(`audiencectl state forget gold --sandbox prod${carried}`);
        const forgot = await paste(forget, { cwd: tmp, env });
        expect(forgot.stderr).toBe('');
        expect(forgot.code).toBe(0);
        expect(forgot.stdout).toContain(`Forgot prod/gold (audience ${prodId}).`);

        // prod/gold names no audience now (its first run stays counted, as a record of runs only).
        const records = (await readState(path.join(tmp, 'stores/prod st'))).audiences;
        expect(records.map((r) => [r.sandbox, r.key, r.audienceId])).toEqual([
          ['dev', 'gold', devId],
          ['prod', 'gold', undefined],
        ]);
        expect(await filesOf(decoy)).toEqual(decoyBefore);
      });
    });
  });

  it("a create blocked by a colleague's audience of its name prints the finished import, with its id and flags, in apply and plan: pasted, it records that audience", async () => {
    await withEmulator({}, async (emulator) => {
      await withTempDir(async (tmp) => {
        const env = { ...FLAGS_ONLY };
        const flags = ['--state', 'stores/prod st', '--config', 'prod.yaml'];
        await writeFile(path.join(tmp, 'prod.yaml'), configYaml(emulator));
        const store = path.join(tmp, 'stores/prod st');
        await mkdir(store, { recursive: true });
        // A directory name the shell would split: the command names it quoted (review 14, F5).
        await writeFiles(path.join(tmp, 'my aud'), { 'gold.yaml': manifestYaml('gold') });
        const theirs = emulator.control.uiCreateAudience(
          DEMO_CLIENT.orgId,
          'prod',
          manifestObject('gold').spec,
          'colleague@AdobeID',
        );
        const command = `audiencectl state import gold 'my aud' --sandbox prod --audience-id ${theirs.audienceId} --state 'stores/prod st' --config prod.yaml`;
        const blocked = await runCliInProcess(['apply', 'my aud', ...flags, '--auto-approve'], {
          cwd: tmp,
          env,
        });
        expect(blocked.stdout).toContain(`(found: ${theirs.audienceId} (created `);
        const fromApply = printed(
          blocked.stdout,
          /if it is this manifest's audience, run: (audiencectl state import [^;]*);/,
        );
        expect(fromApply).toBe(command);
        const planned = await runCliInProcess(['plan', 'my aud', ...flags], { cwd: tmp, env });
        expect(
          printed(
            planned.stdout,
            /if it is this manifest's audience, run: (audiencectl state import [^;]*);/,
          ),
        ).toBe(command);

        const imported = await paste(fromApply, { cwd: tmp, env });
        expect(imported.code).toBe(0);
        expect(imported.stdout).toContain(`Imported prod/gold: audience ${theirs.audienceId}.`);
        const records = (await readState(store)).audiences;
        expect(records.map((r) => [r.sandbox, r.key, r.audienceId, r.blocked])).toEqual([
          ['prod', 'gold', theirs.audienceId, undefined],
        ]);
        expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.audienceId)).toEqual([
          theirs.audienceId,
        ]);
      });
    });
  });

  it("a corrupt record's repair commands, of a store --config names, and a move's, carry --config: the import is checked with its credentials, the forget reaches the store", async () => {
    await withEmulator({}, async (emulator) => {
      await withTempDir(async (tmp) => {
        const env = { ...FLAGS_ONLY };
        // The store is the configuration's `state:`, relative to the file.
        await writeFile(path.join(tmp, 'prod.yaml'), configYaml(emulator, 'stores/prod'));
        const store = path.join(tmp, 'stores/prod');
        await mkdir(store, { recursive: true });
        await writeFiles(path.join(tmp, 'aud'), { 'gold.yaml': manifestYaml('gold') });
        const applied = await runCliInProcess(['apply', 'aud', '--config', 'prod.yaml', '--auto-approve'], {
          cwd: tmp,
          env,
        });
        expect(applied.code).toBe(0);
        const id = (await readState(store)).audiences[0]?.audienceId;
        expect(id).toBeDefined();
        const decoy = path.join(tmp, '.audiencectl-state');
        await cp(store, decoy, { recursive: true });
        const decoyBefore = await filesOf(decoy);
        await writeFile(path.join(store, 'audiences', 'prod', 'gold.json'), '{"sandbox": "prod", "key":');

        const planned = await runCliInProcess(['plan', 'aud', '--config', 'prod.yaml'], { cwd: tmp, env });
        expect(planned.code).toBe(1);
        const carried = ` --state ${store} --config prod.yaml`;
        const forget = printed(planned.stderr, /drop it with `(audiencectl state forget [^`]*)`/);
        expect(forget).toBe(`audiencectl state forget gold --sandbox prod${carried}`);
        const importCommand = printed(
          planned.stderr,
          /record the audience again with `(audiencectl state import [^`]*)`/,
        );
        expect(importCommand).toBe(
          `audiencectl state import gold MANIFESTS_DIR --sandbox prod --audience-id AUDIENCE_ID${carried}`,
        );
        const forgot = await paste(forget, { cwd: tmp, env });
        expect(forgot.stderr).toBe('');
        expect(forgot.code).toBe(0);
        const imported = await paste(
          importCommand.replace('MANIFESTS_DIR', 'aud').replace('AUDIENCE_ID', id!),
          {
            cwd: tmp,
            env,
          },
        );
        expect(imported.stderr).toBe('');
        expect(imported.code).toBe(0);
        expect(imported.stdout).toContain(
          `Verified through the service: audience ${id} is the external audience "Audience gold".`,
        );
        expect((await readState(store)).audiences.map((r) => [r.sandbox, r.key, r.audienceId])).toEqual([
          ['prod', 'gold', id],
        ]);

        // A hint without --state: --config alone takes the pasted command to the store.
        await writeFiles(path.join(tmp, 'aud'), {
          'gold.yaml': manifestYaml('gold', { metadata: { sandbox: 'dev' } }),
        });
        const moved = await runCliInProcess(['plan', 'aud', '--config', 'prod.yaml'], { cwd: tmp, env });
        expect(moved.code).toBe(0);
        const forgetMoved = printed(
          moved.stdout,
          /To move it on purpose: `(audiencectl state forget [^`]*)`/,
        );
        expect(forgetMoved).toBe('audiencectl state forget gold --sandbox prod --config prod.yaml');
        const forgotMoved = await paste(forgetMoved, { cwd: tmp, env });
        expect(forgotMoved.stderr).toBe('');
        expect(forgotMoved.stdout).toContain(`Forgot prod/gold (audience ${id}).`);
        expect((await readState(store)).audiences).toEqual([]);
        expect(await filesOf(decoy)).toEqual(decoyBefore);
      });
    });
  });

  it('a command whose directory and id are not known, pasted before they are filled in: the shell hands every word to audiencectl, which refuses it; no file is made', async () => {
    await withTempDir(async (tmp) => {
      const env = { ...FLAGS_ONLY };
      const store = path.join(tmp, 'st');
      await writeFiles(path.join(store, 'audiences', 'prod'), { 'gold.json': '{"sandbox": "prod", "key":' });
      await writeFile(path.join(store, 'meta.json'), '{"schemaVersion": 1, "lineage": "l", "serial": 1}');
      await writeFiles(path.join(tmp, 'aud'), { 'gold.yaml': manifestYaml('gold') });
      const planned = await runCliInProcess(['plan', 'aud', '--state', 'st'], { cwd: tmp, env });
      expect(planned.code).toBe(1);
      const importCommand = printed(
        planned.stderr,
        /record the audience again with `(audiencectl state import [^`]*)`/,
      );
      expect(importCommand).toBe(
        `audiencectl state import gold MANIFESTS_DIR --sandbox prod --audience-id AUDIENCE_ID --state ${store}`,
      );
      const before = await readdir(tmp);
      const pasted = await paste(importCommand, { cwd: tmp, env });
      expect(pasted.stderr).toBe(
        'Error: --audience-id "AUDIENCE_ID" is not an audience id: AEP audience ids are UUIDs such as 60ccea95-1435-4180-97a5-58af4aa285ab\n',
      );
      expect(await readdir(tmp)).toEqual(before);

      const missing = await runCliInProcess(
        ['apply', 'plan.json', '--state', 'st', '--emulator', '--auto-approve'],
        {
          cwd: tmp,
          env,
        },
      );
      expect(missing.code).toBe(1);
      const save = printed(
        missing.stderr,
        /save a plan with `([^`]*)` \(MANIFESTS_DIR: your manifests directory\)/,
      );
      expect(save).toBe('audiencectl plan MANIFESTS_DIR --output json --out plan.json --state st');
      const saved = await paste(save, { cwd: tmp, env });
      expect(saved.stderr).toBe('Error: MANIFESTS_DIR does not exist: give the directory of the manifests\n');
      expect(await readdir(tmp)).toEqual(before);
    });
  });

  it("a saved plan's blocked rename names the directory it was made from: apply plan.json accepts it as planned, and its commands, pasted, move the record", async () => {
    await withEmulator({}, async (emulator) => {
      await withTempDir(async (tmp) => {
        const env = { ...emulatorEnv(emulator), AUDIENCECTL_STATE: path.join(tmp, 'st') };
        await mkdir(path.join(tmp, 'st'));
        // No run: forgetting gold then leaves no record of its runs.
        const quiet = { ingestion: { onCreate: false } };
        await writeFiles(path.join(tmp, 'my aud'), { 'gold.yaml': manifestYaml('gold', quiet) });
        expect((await runCliInProcess(['apply', 'my aud', '--auto-approve'], { cwd: tmp, env })).code).toBe(
          0,
        );
        const id = (await readState(path.join(tmp, 'st'))).audiences[0]?.audienceId;
        expect(id).toBeDefined();
        // A typo in metadata.name; the audience's name stays.
        await writeFiles(path.join(tmp, 'my aud'), {
          'gold.yaml': manifestYaml('golld', { ...quiet, spec: { name: 'Audience gold' } }),
        });
        const saved = await runCliInProcess(['plan', 'my aud', '--output', 'json', '--out', 'plan.json'], {
          cwd: tmp,
          env,
        });
        expect(saved.code).toBe(0);
        const applied = await runCliInProcess(['apply', 'plan.json', '--auto-approve'], { cwd: tmp, env });
        expect(applied.stderr).not.toMatch(/PLAN_|no longer matches/);
        expect(applied.code).toBe(3);
        const forget = printed(applied.stdout, /To keep the new name: `([^`]*)`/);
        expect(forget).toBe('audiencectl state forget gold --sandbox prod');
        const importCommand = printed(applied.stdout, /To keep the new name: `[^`]*`, then `([^`]*)`/);
        expect(importCommand).toBe(
          `audiencectl state import golld '${tmp}/my aud' --sandbox prod --audience-id ${id}`,
        );
        expect((await paste(forget, { cwd: tmp, env })).code).toBe(0);
        const imported = await paste(importCommand, { cwd: tmp, env });
        expect(imported.stderr).toBe('');
        expect(imported.stdout).toContain(`Imported prod/golld: audience ${id}.`);
        expect((await readState(path.join(tmp, 'st'))).audiences.map((r) => [r.key, r.audienceId])).toEqual([
          ['golld', id],
        ]);
      });
    });
  });

  it("apply plan.json --state prints its saved plan's commands with --state: pasted, they move the record in that store; a decoy at the default location stays byte for byte", async () => {
    await withEmulator({}, async (emulator) => {
      await withTempDir(async (tmp) => {
        // The store only by --state: a pasted command inherits no AUDIENCECTL_STATE.
        const env = { ...emulatorEnv(emulator), AUDIENCECTL_STATE: undefined };
        const store = path.join(tmp, 'prod-store');
        await mkdir(store);
        const quiet = { ingestion: { onCreate: false } };
        await writeFiles(path.join(tmp, 'aud'), { 'gold.yaml': manifestYaml('gold', quiet) });
        const flags = ['--state', 'prod-store'];
        expect(
          (await runCliInProcess(['apply', 'aud', ...flags, '--auto-approve'], { cwd: tmp, env })).code,
        ).toBe(0);
        const id = (await readState(store)).audiences[0]?.audienceId;
        expect(id).toBeDefined();
        // The records moved away (state migrate leaves the old store): a decoy at the default location.
        const decoy = path.join(tmp, '.audiencectl-state');
        await cp(store, decoy, { recursive: true });
        const decoyBefore = await filesOf(decoy);
        await writeFiles(path.join(tmp, 'aud'), {
          'gold.yaml': manifestYaml('golld', { ...quiet, spec: { name: 'Audience gold' } }),
        });
        const saved = await runCliInProcess(
          ['plan', 'aud', ...flags, '--output', 'json', '--out', 'plan.json'],
          {
            cwd: tmp,
            env,
          },
        );
        expect(saved.code).toBe(0);
        const applied = await runCliInProcess(['apply', 'plan.json', ...flags, '--auto-approve'], {
          cwd: tmp,
          env,
        });
        expect(applied.stderr).not.toMatch(/PLAN_|no longer matches/);
        expect(applied.code).toBe(3);
        const forget = printed(applied.stdout, /To keep the new name: `([^`]*)`/);
        expect(forget).toBe('audiencectl state forget gold --sandbox prod --state prod-store');
        const importCommand = printed(applied.stdout, /To keep the new name: `[^`]*`, then `([^`]*)`/);
        expect(importCommand).toBe(
          `audiencectl state import golld ${tmp}/aud --sandbox prod --audience-id ${id} --state prod-store`,
        );
        expect((await paste(forget, { cwd: tmp, env })).code).toBe(0);
        const imported = await paste(importCommand, { cwd: tmp, env });
        expect(imported.stderr).toBe('');
        expect(imported.stdout).toContain(`Imported prod/golld: audience ${id}.`);
        expect((await readState(store)).audiences.map((r) => [r.key, r.audienceId])).toEqual([['golld', id]]);
        expect(await filesOf(decoy)).toEqual(decoyBefore);
      });
    });
  });
});
