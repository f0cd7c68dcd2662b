import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { quiet } from '../helpers/held-elsewhere-env.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * Review 34b, L-2. README (`--out`): "Standard error then says what the text plan says besides
 * its steps (the blocked steps with why, ...)"; README (Plan output): "A command a message gives
 * to run ... carries the flags that chose this process's store ... Pasted in the same directory,
 * it reaches the same store". The text plan's blocked move says
 * `audiencectl state forget gold --sandbox prod --state <st>`; `plan --out plan.json` says on
 * stderr `audiencectl state forget gold --sandbox prod`, which, pasted, forgets in the default
 * store `.audiencectl-state` (another store, when one is there) instead of `<st>`.
 * Against the emulator over HTTP; the commands run the CLI's entry in this process (cli-in-process.ts:
 * the same code, standard output and error, and exit code).
 */
describe('plan --out: the commands its standard error gives', () => {
  it('carry --state as the text plan does', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const dir = path.join(tmp, 'm');
        const state = path.join(tmp, 'st');
        await mkdir(state);
        await writeFiles(dir, { 'gold.yaml': quiet('gold') });
        const env = emulatorEnv(emulator);
        const applied = await runCliInProcess(['apply', dir, '--state', state, '--auto-approve'], { env });
        expect(applied.code).toBe(0);
        // The manifest now names another sandbox: a move, blocked, with the commands to run.
        await writeFile(
          path.join(dir, 'gold.yaml'),
          manifestYaml('gold', { metadata: { sandbox: 'dev' }, ingestion: { onCreate: false } }),
        );

        const text = await runCliInProcess(['plan', dir, '--state', state], { env });
        expect(text.stdout).toContain(`\`audiencectl state forget gold --sandbox prod --state ${state}\``);

        const out = path.join(tmp, 'plan.json');
        const saved = await runCliInProcess(
          ['plan', dir, '--state', state, '--output', 'json', '--out', out],
          {
            env,
          },
        );
        expect(saved.code).toBe(0);
        expect((JSON.parse(await readFile(out, 'utf8')) as { summary: { move: number } }).summary.move).toBe(
          1,
        );
        expect(saved.stderr).toContain('prod/gold move:');
        // On main: `audiencectl state forget gold --sandbox prod` (no --state).
        expect(saved.stderr).toContain(`\`audiencectl state forget gold --sandbox prod --state ${state}\``);
      });
    });
  });
});

describe('plan --out: the file keeps its own commands', () => {
  it('stderr gives the flags as typed for JSON and Markdown; the saved JSON plan names none, and apply takes it', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        await mkdir(path.join(tmp, 'st'));
        await writeFiles(path.join(tmp, 'm'), { 'gold.yaml': quiet('gold') });
        const env = emulatorEnv(emulator);
        const cli = (...args: string[]) => runCliInProcess(args, { cwd: tmp, env });
        expect((await cli('apply', 'm', '--state', 'st', '--auto-approve')).code).toBe(0);
        await writeFile(
          path.join(tmp, 'm', 'gold.yaml'),
          manifestYaml('gold', { metadata: { sandbox: 'dev' }, ingestion: { onCreate: false } }),
        );
        const typed = '`audiencectl state forget gold --sandbox prod --state st`';

        const json = await cli('plan', 'm', '--state', 'st', '--output', 'json', '--out', 'plan.json');
        expect(json.code, json.stderr).toBe(0);
        expect(json.stderr).toContain(typed);
        expect(json.stderr).toContain('then `audiencectl apply m --state st` to create it in "dev"');
        const file = await readFile(path.join(tmp, 'plan.json'), 'utf8');
        expect(file).toContain('`audiencectl state forget gold --sandbox prod`');
        expect(file).not.toContain('--state');

        const markdown = await cli('plan', 'm', '--state', 'st', '--output', 'markdown', '--out', 'plan.md');
        expect(markdown.code, markdown.stderr).toBe(0);
        expect(markdown.stderr).toContain(typed);
        expect(await readFile(path.join(tmp, 'plan.md'), 'utf8')).not.toContain('--state');

        // The saved plan is still the one `apply plan.json` plans again: its blocked move, not a refusal.
        const applied = await cli('apply', 'plan.json', '--state', 'st', '--auto-approve');
        expect(applied.code, applied.stderr).toBe(3);
        expect(applied.stdout).toContain('blocked  prod/gold move:');
      });
    });
  });
});
