import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { quiet } from '../helpers/held-elsewhere-env.js';
import { withEmulator, colleagueAudience } from '../helpers/with-emulator.js';

/**
 * Review 34b, M-3. `state import --help`: "--dry-run  with --discover: print the table, record
 * nothing". Given to an import by id, it is accepted and ignored: the record is written (exit 0,
 * "Imported prod/old: …"). With `--without-manifest`, the preview records an audience the next
 * apply deletes (`- prod/old delete: manifest removed`); with `--force`, it re-points a key. README
 * (Commands): "Every option is checked before anything runs"; the same command refuses
 * `--discover` with a key or `--audience-id` in one line.
 */
describe('state import <key> --audience-id <id> --dry-run', () => {
  it('records nothing (or is refused), and so sets up no deletion', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const dir = path.join(tmp, 'm');
        const state = path.join(tmp, 'st');
        await mkdir(state);
        await writeFiles(dir, { 'gold.yaml': quiet('gold') });
        const old = colleagueAudience(emulator, { name: 'Audience old' });
        const env = emulatorEnv(emulator);

        const preview = await runCli(
          [
            'state',
            'import',
            'old',
            dir,
            '--state',
            state,
            '--audience-id',
            old.id,
            '--without-manifest',
            '--dry-run',
          ],
          { env },
        );
        // Either refused (naming --dry-run) or a preview: in both cases, no record.
        const shown = await runCli(['state', 'show', 'old', '--state', state], { env });
        // On main: exit 0 and the record (the preview wrote it).
        expect(shown.code).toBe(1);
        expect(preview.stdout).not.toContain('Imported prod/old');

        const planned = await runCli(['plan', dir, '--state', state], { env });
        // On main: "- prod/old delete: manifest removed".
        expect(planned.stdout).not.toContain('prod/old delete');
      });
    });
  });
});

/** The store's serial, which every write moves. */
async function serial(state: string): Promise<number> {
  return (JSON.parse(await readFile(path.join(state, 'meta.json'), 'utf8')) as { serial: number }).serial;
}

const NO_CREDENTIALS = {
  AEP_CLIENT_ID: undefined,
  AEP_CLIENT_SECRET: undefined,
  AEP_ORG_ID: undefined,
  AEP_BASE_URL: undefined,
  AEP_IMS_URL: undefined,
};

describe('state import <key> --dry-run says what the import would do', () => {
  it('with --force: the record it would re-point is left as it is, and the serial does not move', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const dir = path.join(tmp, 'm');
        const state = path.join(tmp, 'st');
        await mkdir(state);
        await writeFiles(dir, { 'gold.yaml': quiet('gold') });
        const env = emulatorEnv(emulator);
        // gold applied is the case's premise: the CLI's entry in this process (cli-in-process.ts).
        expect(
          (await runCliInProcess(['apply', dir, '--state', state, '--auto-approve'], { env })).code,
        ).toBe(0);
        const recorded = async () =>
          (
            JSON.parse(
              (await runCli(['state', 'show', 'gold', '--state', state], { env: NO_CREDENTIALS })).stdout,
            ) as { audienceId: string }
          ).audienceId;
        const gold = await recorded();
        const other = colleagueAudience(emulator, { name: 'Audience other' });
        const before = await serial(state);

        const preview = await runCli(
          [
            'state',
            'import',
            'gold',
            dir,
            '--state',
            state,
            '--audience-id',
            other.id,
            '--force',
            '--dry-run',
          ],
          { env: NO_CREDENTIALS },
        );
        expect(preview.code, preview.stderr).toBe(0);
        expect(preview.stdout).toContain(
          `Would import prod/gold: audience ${other.id} (--dry-run: nothing recorded; what the import would do follows).\n  - forgot what was recorded about audience ${gold}\n`,
        );
        expect(preview.stdout).not.toContain('Imported');
        expect(await recorded()).toBe(gold);
        expect(await serial(state)).toBe(before);
      });
    });
  });

  it('checks as the import does (an id of another name is refused), and the import without it records', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const dir = path.join(tmp, 'm');
        const state = path.join(tmp, 'st');
        await mkdir(state);
        await writeFiles(dir, { 'gold.yaml': quiet('gold') });
        const gold = colleagueAudience(emulator, { name: 'Audience gold' });
        const other = colleagueAudience(emulator, { name: 'Audience other' });
        const env = emulatorEnv(emulator);
        const importing = (id: string, ...more: string[]) =>
          runCli(['state', 'import', 'gold', dir, '--state', state, '--audience-id', id, ...more], { env });

        const wrong = await importing(other.id, '--dry-run');
        expect(wrong.code).toBe(1);
        expect(wrong.stderr).toBe(
          `Error: audience ${other.id} is named "Audience other", but the manifest of prod/gold names "Audience gold"; nothing was imported\n`,
        );

        const preview = await importing(gold.id, '--dry-run');
        expect(preview.code, preview.stderr).toBe(0);
        expect(preview.stdout.split('\n')[0]).toBe(
          `Would import prod/gold: audience ${gold.id} (--dry-run: nothing recorded; what the import would do follows).`,
        );
        expect((await runCli(['state', 'show', 'gold', '--state', state], { env })).code).toBe(1);

        const done = await importing(gold.id);
        expect(done.code, done.stderr).toBe(0);
        expect(done.stdout.split('\n')[0]).toBe(`Imported prod/gold: audience ${gold.id}.`);
        const shown = await runCli(['state', 'show', 'gold', '--state', state], { env });
        expect((JSON.parse(shown.stdout) as { audienceId: string }).audienceId).toBe(gold.id);
      });
    });
  });
});
