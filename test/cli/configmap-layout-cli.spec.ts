import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';

/**
 * A Kubernetes ConfigMap or Secret mounted as a volume lays its files out as links into a
 * folder whose name begins with two dots (`gold.yaml -> ..data/gold.yaml`, `..data ->
 * ..2026_12_04_01`): that folder is inside the directory, not above it. Before, every such
 * link was "outside the source root; not followed", and a controller fed so read nothing
 * (review 31, M-1). The built CLI.
 */
describe('a directory laid out as a ConfigMap volume', () => {
  it('reads each manifest once, through its link (the dot folders are not read themselves)', async () => {
    await withTempDir(async (root) => {
      const dir = path.join(root, 'd');
      await writeFiles(dir, {
        '..2026_12_04_01/gold.yaml': manifestYaml('gold'),
        '..2026_12_04_01/silver.yaml': manifestYaml('silver'),
      });
      await symlink('..2026_12_04_01', path.join(dir, '..data'));
      await symlink('..data/gold.yaml', path.join(dir, 'gold.yaml'));
      await symlink('..data/silver.yaml', path.join(dir, 'silver.yaml'));
      const out = await runCli(['validate', 'd'], { cwd: root });
      expect(out).toMatchObject({
        code: 0,
        stdout: '2 valid manifest(s); 0 error(s), 0 warning(s) in 0 failed file(s)\n',
        stderr: '',
      });
    });
  });

  it('a link to a folder above it is still outside, and not followed', async () => {
    await withTempDir(async (root) => {
      await writeFiles(root, {
        'elsewhere/gold.yaml': manifestYaml('gold'),
        'd/silver.yaml': manifestYaml('silver'),
      });
      await symlink('../elsewhere/gold.yaml', path.join(root, 'd', 'gold.yaml'));
      const out = await runCli(['validate', 'd'], { cwd: root });
      expect(out.stdout).toBe(
        'd/gold.yaml: warning: symlink points outside the source root; not followed [source/symlink-outside]\n1 valid manifest(s); 0 error(s), 1 warning(s) in 0 failed file(s)\n',
      );
    });
  });
});
