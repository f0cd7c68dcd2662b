import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { NO_AEP_CREDENTIALS } from '../helpers/apply-env.js';
import { withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';

/**
 * cli-45 item 3: `apply <invalid plan file>` named the missing AEP credentials or state store
 * first, and then said only that the file "is not a plan saved with `plan --output json
 * --out`": the file's own problem comes first, with where its JSON breaks, before the
 * credentials, the terminal or the store are looked at, and nothing is written.
 */
describe('apply of a saved plan that does not read', () => {
  const NOT_SAVED = 'is not a plan saved with `plan --output json --out`';
  it.each([
    [
      'cut short',
      '{\n  "formatVersion": 1,\n  "steps": [\n',
      `plan.json ${NOT_SAVED}: it is not JSON at line 4, column 1 (the text ends too soon (cut short?))`,
    ],
    [
      'a stray bracket',
      '{\n  "formatVersion": 1,\n  "steps": [}\n',
      `plan.json ${NOT_SAVED}: it is not JSON at line 3, column 13 (unexpected "}")`,
    ],
    [
      "a merge conflict's markers",
      '<<<<<<< HEAD\n{}\n',
      `plan.json ${NOT_SAVED}: it is not JSON at line 1, column 1 (unexpected "<")`,
    ],
  ])('%s: the file and where, before the credentials and the store', async (_, content, line) => {
    await withTempDir(async (tmp) => {
      await writeFiles(tmp, { 'plan.json': content });
      const env = { ...NO_AEP_CREDENTIALS, AUDIENCECTL_STATE: undefined, AUDIENCECTL_STATE_DIR: undefined };
      for (const args of [
        ['apply', 'plan.json'],
        ['apply', 'plan.json', '--auto-approve'],
      ]) {
        const result = await runCliInProcess(args, { cwd: tmp, env });
        expect(result.stderr).toBe(`Error: ${line}\n`);
        expect(result.stdout).toBe('');
        expect(result.code).toBe(1);
      }
      expect(await readdir(tmp)).toEqual(['plan.json']);
    });
  });

  it('JSON that is no plan: the file, before the credentials and the store', async () => {
    await withTempDir(async (tmp) => {
      await writeFiles(tmp, { 'plan.json': '{}\n' });
      const env = { ...NO_AEP_CREDENTIALS, AUDIENCECTL_STATE: undefined, AUDIENCECTL_STATE_DIR: undefined };
      const result = await runCliInProcess(['apply', 'plan.json', '--auto-approve'], { cwd: tmp, env });
      expect(result.stderr).toMatch(
        /^Error: plan\.json is not a plan saved with `plan --output json --out`: .+\n$/,
      );
      expect(result.code).toBe(1);
      expect(await readdir(tmp)).toEqual(['plan.json']);
    });
  });
});
