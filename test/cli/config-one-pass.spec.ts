import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAepConfig, loadAepConfig } from '../../src/config/load.js';
import { withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';

const BAD_FILE = 'credentials:\n  clientid: x\n  orgId: O@AdobeOrg\nbudget:\n  requests: 0\n';

describe('every configuration problem in one pass', () => {
  it('a file that does not validate: the environment is still checked, and both are listed', async () => {
    await withTempDir(async (dir) => {
      const configFile = path.join(dir, 'bad.yaml');
      await writeFile(configFile, BAD_FILE);
      const env = { AEP_BASE_URL: 'not a url', AEP_SANDBOX: 'Bad_One' };
      const checked = checkAepConfig({ configFile, env });
      expect(checked.ok ? [] : checked.lines).toEqual([
        `${configFile}:2:3 credentials: unknown key "clientid"`,
        `${configFile}:5:13 budget.requests: must be at least 1`,
        'AEP_SANDBOX: must be lowercase letters, digits and "-", at most 63',
        'AEP_BASE_URL: must be an http(s) URL',
      ]);
      expect(() => loadAepConfig({ configFile, env })).toThrow(/budget\.requests[^]*AEP_BASE_URL/);
      const missing = checkAepConfig({ configFile: path.join(dir, 'nope.yaml'), env });
      expect(missing.ok ? [] : missing.lines[0]).toBe(
        `${path.join(dir, 'nope.yaml')}: cannot read the configuration file (ENOENT)`,
      );
    });
  });

  it('apply: the file (file:line), the environment variables and the flags in one error, exit 1, no trace', async () => {
    await withTempDir(async (dir) => {
      await writeFile(path.join(dir, 'bad.yaml'), BAD_FILE);
      await mkdir(path.join(dir, 'm'));
      const result = await runCliInProcess(
        [
          'apply',
          'm',
          '--config',
          'bad.yaml',
          '--lock-timeout',
          'soon',
          '--max-deletes',
          '-1',
          '--auto-approve',
        ],
        { cwd: dir, env: { AEP_SANDBOX: 'Bad_One', AEP_BASE_URL: 'not a url' } },
      );
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      // AEP_SANDBOX is named once, by the option that reads it.
      expect(result.stderr).toBe(
        [
          'Error: 6 problems:',
          '  --lock-timeout: "soon" is not a duration (e.g. 30s, 5m, 1h30m)',
          '  AEP_SANDBOX: invalid sandbox name "Bad_One": use lowercase letters, digits and "-" (at most 63), as AEP does',
          '  --max-deletes: "-1" is not a whole number (0 or more)',
          '  bad.yaml:2:3 credentials: unknown key "clientid"',
          '  bad.yaml:5:13 budget.requests: must be at least 1',
          '  AEP_BASE_URL: must be an http(s) URL',
          '',
        ].join('\n'),
      );
    });
  });

  it('run: a flag, a guard variable, the file and the environment in one error', async () => {
    await withTempDir(async (dir) => {
      await writeFile(path.join(dir, 'bad.yaml'), BAD_FILE);
      const result = await runCliInProcess(
        ['run', '--dir', '.', '--config', 'bad.yaml', '--interval', '1.5m'],
        {
          cwd: dir,
          env: { AUDIENCECTL_ALLOW_MASS_DELETE: 'maybe', AEP_BASE_URL: 'not a url' },
        },
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        [
          'Error: 5 problems:',
          '  --interval: "1.5m" is not a duration (e.g. 30s, 5m, 1h30m)',
          '  AUDIENCECTL_ALLOW_MASS_DELETE: "maybe" is not true or false',
          '  bad.yaml:2:3 credentials: unknown key "clientid"',
          '  bad.yaml:5:13 budget.requests: must be at least 1',
          '  AEP_BASE_URL: must be an http(s) URL',
          '',
        ].join('\n'),
      );
    });
  });
});
