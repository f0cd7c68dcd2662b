import { describe, expect, it } from 'vitest';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';

// review-36a L: README (Commands) promises "Every option is checked before anything runs, and
// all problems are reported at once, each naming its flag or environment variable". `run`
// does so for its choice flags (--log-level, --git-strict-host-key-checking), but `plan
// --output` (and `validate --output`, the global `--color`) still use commander's own
// `.choices()`, which stops at the first bad flag: the other mistakes come one run later.

describe('a bad --output beside another bad flag', () => {
  it('plan reports both at once', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, { 'm/gold.yaml': manifestYaml('gold') });
      const result = await runCli(['plan', 'm', '--output', 'yaml', '--max-deletes', 'x'], { cwd: dir });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('--max-deletes: "x" is not a whole number (0 or more)');
      expect(result.stderr).toContain('--output');
    });
  });

  it('validate reports both at once', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, { 'm/gold.yaml': manifestYaml('gold') });
      const result = await runCli(['validate', 'm', '--output', 'yaml', '--sandbox', 'Bad'], { cwd: dir });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('--sandbox: invalid sandbox name "Bad"');
      expect(result.stderr).toContain('--output');
    });
  });
});
