import { describe, expect, it } from 'vitest';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';

// review-36a L: `plan --help` describes --config as "AEP configuration file, for --refresh", but a
// plan without --refresh uses the file too: its defaultSandbox places the manifests that name no
// sandbox (docs/configuration.md, "Read without the credentials: validate and a plan without
// --refresh honour it"), and its `state:` names the store read. Someone who trusts the help and
// leaves --config out of the pull-request plan sees another sandbox than the apply (which takes
// the file) will use. `validate --help` says what the file does there; plan's should too.

describe('plan --help on --config', () => {
  it('says what a plan without --refresh takes from the file', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, { 'm/gold.yaml': manifestYaml('gold'), 'aep.yaml': 'defaultSandbox: dev\n' });
      // The behaviour: no --refresh, and the file's defaultSandbox is used.
      const plan = await runCli(['plan', 'm', '--config', 'aep.yaml', '--state', 'st'], { cwd: dir });
      expect(plan.code).toBe(0);
      expect(plan.stdout).toContain('+ dev/gold create');

      const help = await runCli(['plan', '--help'], { cwd: dir });
      expect(help.code).toBe(0);
      const configHelp = help.stdout.slice(
        help.stdout.indexOf('--config <file>'),
        help.stdout.indexOf('--output <format>'),
      );
      expect(configHelp).toContain('defaultSandbox');
    });
  });
});
