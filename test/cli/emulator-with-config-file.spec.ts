import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { NO_AEP_OR_STATE } from '../helpers/apply-env.js';
import { manifestYaml } from '../helpers/manifests.js';

// Review 40 (cli2-40) 2: `apply --emulator --config aep.yaml` applied to the embedded emulator
// with its demo client and said nothing of the file's baseUrl, credentials or defaultSandbox:
// a user who typed both believed the file's AEP settings were used. --emulator reads only a
// file's state: (which store); a file typed with it that sets anything else is refused in one
// line naming both flags, before anything starts. AEP_* variables stay ignored, unnamed.

const AEP_FILE = [
  'baseUrl: https://platform.adobe.io',
  'credentials:',
  '  clientId: real-client',
  '  clientSecret: real-secret-4f1e0c2b',
  '  orgId: REAL123@AdobeOrg',
  'state: st',
  '',
].join('\n');

describe('--emulator with a --config file of AEP settings', () => {
  it.each([
    ['apply', ['apply', 'm', '--emulator', '--config', 'aep.yaml', '--auto-approve']],
    ['init', ['init', '--emulator', '--config', 'aep.yaml']],
    ['run', ['run', '--dir', 'm', '--emulator', '--config', 'aep.yaml']],
  ])('%s is refused in one line naming both flags, nothing created', async (_name, args) => {
    await withTempDir(async (tmp) => {
      await writeFiles(tmp, { 'aep.yaml': AEP_FILE, 'm/gold.yaml': manifestYaml('gold') });
      const result = await runCli(args, {
        cwd: tmp,
        env: { ...NO_AEP_OR_STATE, AUDIENCECTL_LISTEN: '127.0.0.1:0' },
        stopOn: /controller started/,
      });
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^Error: /);
      expect(result.stderr).toContain('--emulator');
      expect(result.stderr).toContain('--config aep.yaml');
      expect(result.stderr).toContain('baseUrl');
      expect(result.stderr).toContain('credentials');
      expect(result.stderr).not.toContain('real-secret-4f1e0c2b');
      expect(result.stdout).toBe('');
      expect(await readdir(tmp)).not.toContain('st');
    });
  });

  it('a file holding only state: is still the store of --emulator', async () => {
    await withTempDir(async (tmp) => {
      await writeFiles(tmp, { 'cfg.yaml': 'state: st\n', 'm/gold.yaml': manifestYaml('gold') });
      const init = await runCli(['init', '--emulator', '--config', 'cfg.yaml'], {
        cwd: tmp,
        env: NO_AEP_OR_STATE,
      });
      expect(init.code).toBe(0);
      const apply = await runCli(['apply', 'm', '--emulator', '--config', 'cfg.yaml', '--auto-approve'], {
        cwd: tmp,
        env: NO_AEP_OR_STATE,
      });
      expect(apply.code).toBe(0);
      expect(apply.stdout).toContain('prod/gold create: created');
      expect(await readdir(path.join(tmp, 'st'))).not.toEqual([]);
    });
  });
});
