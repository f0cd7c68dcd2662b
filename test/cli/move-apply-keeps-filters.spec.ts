import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readState } from '../../src/state/read.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { paste } from '../helpers/paste.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * review cli-41, finding 1: a blocked move's text plan prints the `apply` that creates the
 * audience in its new sandbox. The plan was made with `--exclude 'drafts/**'`, the printed
 * apply carried no filter: pasted, it created the excluded drafts too, a wider scope than the
 * plan the person read. The printed commands are pasted into /bin/sh with the built CLI.
 */
describe('a blocked move planned with --include/--exclude', () => {
  it('prints an apply with the same filters, which leaves the excluded manifests alone when pasted', async () => {
    await withEmulator({ operationDelayMs: 0, runStageDelayMs: 0 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        await writeFiles(path.join(tmp, 'aud'), {
          'gold.yaml': manifestYaml('gold'),
          'drafts/wip.yaml': manifestYaml('wip'),
        });
        const env = emulatorEnv(emulator);
        const cwd = tmp;
        expect((await runCliInProcess(['init', '--state', 'st'], { cwd, env })).code).toBe(0);
        const applied = await runCliInProcess(
          ['apply', 'aud', '--state', 'st', '--exclude', 'drafts/**', '--auto-approve'],
          { cwd, env },
        );
        expect(applied.code, applied.stderr).toBe(0);

        const planned = await runCliInProcess(
          ['plan', 'aud', '--state', 'st', '--exclude', 'drafts/**', '--sandbox', 'dev'],
          { cwd, env },
        );
        const text = planned.stdout;
        const forget = /`(audiencectl state forget gold [^`]*)`/.exec(text)?.[1];
        const apply = /then `(audiencectl apply [^`]*)` to create it in "dev"/.exec(text)?.[1];
        expect(forget, text).toBeDefined();
        expect(apply, text).toBe("audiencectl apply aud --exclude 'drafts/**' --sandbox dev --state st");

        const forgot = await paste(forget!, { cwd, env });
        expect(forgot.code, forgot.stderr).toBe(0);
        const pasted = await paste(`${apply!} --auto-approve`, { cwd, env });
        expect(pasted.code, pasted.stderr).toBe(0);
        // prod/gold stays as a record of its run only (forget says so); the draft is nowhere.
        const records = (await readState(path.join(tmp, 'st'))).audiences;
        expect(records.map((r) => `${r.sandbox}/${r.key}`).sort()).toEqual(['dev/gold', 'prod/gold']);
        expect(records.find((r) => r.sandbox === 'prod')?.audienceId).toBeUndefined();
      });
    });
  });
});
