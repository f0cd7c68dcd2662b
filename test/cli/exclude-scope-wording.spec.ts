import { rename } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NO_AEP_OR_STATE } from '../helpers/apply-env.js';
import { withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';

// Review 40 (cli2-40) 3: a plan given --exclude loyalty/** said its out-of-scope records'
// manifest file "is outside --exclude loyalty/**": the files it left out are those *inside*
// that glob. An --include's files are outside it; an --exclude's are excluded by it.
// The commands run the CLI's entry in this process (cli-in-process.ts), against its --emulator.

describe('plan --exclude: the scope line and a held removal', () => {
  it('say the file is excluded by --exclude, never outside it', async () => {
    await withTempDir(async (tmp) => {
      await writeFiles(tmp, {
        'm/loyalty/gold.yaml': manifestYaml('gold'),
        'm/web/silver.yaml': manifestYaml('silver'),
        'm/web/bronze.yaml': manifestYaml('bronze'),
      });
      const opts = { cwd: tmp, env: NO_AEP_OR_STATE };
      expect((await runCliInProcess(['init', '--emulator', '--state', 'st'], opts)).code).toBe(0);
      const apply = await runCliInProcess(
        ['apply', 'm', '--emulator', '--state', 'st', '--auto-approve'],
        opts,
      );
      expect(apply.code).toBe(0);
      // bronze's manifest moves into the excluded folder: its removal is held, not planned.
      await rename(path.join(tmp, 'm/web/bronze.yaml'), path.join(tmp, 'm/loyalty/bronze.yaml'));

      const excluded = await runCliInProcess(['plan', 'm', '--state', 'st', '--exclude', 'loyalty/**'], opts);
      expect(excluded.stdout).toContain(
        'Out of scope: 1 recorded audience(s) whose manifest file is excluded by --exclude loyalty/** (or not recorded); left alone, never deleted.',
      );
      expect(excluded.stdout).toContain(
        'its manifest is now loyalty/bronze.yaml, excluded by --exclude loyalty/**; the audience is left as it is',
      );
      expect(excluded.stdout).not.toContain('outside --exclude');

      const both = await runCliInProcess(
        ['plan', 'm', '--state', 'st', '--include', 'web/**', '--exclude', 'loyalty/**'],
        opts,
      );
      expect(both.stdout).toContain(
        'whose manifest file is outside --include web/** or excluded by --exclude loyalty/** (or not recorded)',
      );
      expect(both.stdout).not.toContain('outside --include web/** --exclude');
    });
  });
});
