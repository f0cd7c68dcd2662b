import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';

// Review cli-40, gap 2: `validate --config` said nothing of a manifest whose sandbox no
// credentials reach unless the configuration resolved whole, its secrets included. A
// pre-commit hook or a pull request's CI job has no secrets: it passed the manifest, and the
// apply after the merge refused it. Which sandboxes have credentials is written in the file;
// the secrets' values change nothing about it.
const CONFIG = [
  'sandboxes:',
  '  prod:',
  '    clientId: c1',
  '    orgId: ABC123@AdobeOrg',
  '    SECRET_LINE',
  '',
].join('\n');

const cases = [
  { name: 'clientSecretEnv naming an unset variable', secret: 'clientSecretEnv: AEP_PROD_SECRET' },
  {
    name: 'clientSecretFile naming a file only the deploy job has',
    secret: 'clientSecretFile: /run/secrets/aep-prod',
  },
];

describe.each(cases)('validate --config without the secrets ($name)', ({ secret }) => {
  it('reports the manifest whose sandbox the file gives no credentials, at its line', async () => {
    await withTempDir(async (dir) => {
      await writeFile(path.join(dir, 'aep.yaml'), CONFIG.replace('SECRET_LINE', secret));
      await mkdir(path.join(dir, 'aud'));
      await writeFile(path.join(dir, 'aud', 'gold.yaml'), manifestYaml('gold'));
      await writeFile(
        path.join(dir, 'aud', 'qa.yaml'),
        manifestYaml('qgold', { metadata: { sandbox: 'qa' } }),
      );
      const result = await runCli(['validate', 'aud', '--config', 'aep.yaml'], {
        cwd: dir,
        env: {
          AEP_PROD_SECRET: undefined,
          AEP_CLIENT_ID: undefined,
          AEP_CLIENT_SECRET: undefined,
          AEP_ORG_ID: undefined,
        },
      });
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(
        'aud/qa.yaml:1:1: error: no AEP credentials for sandbox "qa" (audience "qgold"): add it under "sandboxes:" in aep.yaml, or set metadata.sandbox to a configured sandbox (prod) [config/sandbox-without-credentials]',
      );
      expect(result.stdout).toContain('1 valid manifest(s); 1 error(s)');
      expect(result.stderr).toBe('');
    });
  });
});
