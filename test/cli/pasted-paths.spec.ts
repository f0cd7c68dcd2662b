import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { paste } from '../helpers/paste.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * review 7, M6 and L2: a command a message suggests with the user's path in it runs as printed
 * when pasted into a shell: `init --state "…"` expanded `$HOME` in a double-quoted path, and
 * `--out my plans/plan.json` split into two arguments.
 */
describe('suggested commands that embed a path, pasted as printed', () => {
  it('init --state for a missing store whose path has a space, a $ and a quote', async () => {
    await withEmulator({}, async (emulator) => {
      await withTempDir(async (tmp) => {
        await writeFiles(path.join(tmp, 'aud'), { 'gold.yaml': manifestYaml('gold') });
        const state = path.join(tmp, "st $HOME it's");
        const env = emulatorEnv(emulator);
        const refused = await runCli(['apply', 'aud', '--state', state, '--auto-approve'], { cwd: tmp, env });
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
        const missing = await runCli(['apply', 'my plans/plan.json', '--auto-approve'], { cwd: tmp, env });
        expect(missing.code).toBe(1);
        const save = "audiencectl plan <dir> --output json --out 'my plans/plan.json'";
        expect(missing.stderr).toBe(
          `Error: my plans/plan.json does not exist: save a plan with \`${save}\`, or give the directory of the manifests\n`,
        );
        const saved = await paste(save.replace('<dir>', 'aud'), { cwd: tmp, env });
        expect(saved.code).toBe(0);
        const applied = await runCli(['apply', 'my plans/plan.json', '--auto-approve'], { cwd: tmp, env });
        expect(applied.stderr).toMatch(/^Applying to /);
        expect(applied.code).toBe(0);
        expect(applied.stdout).toMatch(/created/);
      });
    });
  });
});
