import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifestDir } from '../../src/manifest/read-source.js';
import { plan } from '../../src/plan/plan.js';
import type { AudienceRecord } from '../../src/state/schema.js';
import { newRecord } from '../../src/state/record-changes.js';
import { withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { kinds, options } from '../helpers/planning.js';

// A manifest file (or folder) replaced by a symlink out of the source root is not followed
// (a warning): that path was not read, so the audiences recorded from it were not removed.

function recorded(key: string, manifestFile: string | undefined): AudienceRecord {
  return {
    ...newRecord('prod', key),
    audienceId: `id-${key}`,
    ...(manifestFile === undefined ? {} : { manifestFile }),
  };
}

/** Plans the directory `dir`/m (read in this thread) against `records`. */
async function planDir(dir: string, records: AudienceRecord[]) {
  const { result } = await loadManifestDir(path.join(dir, 'm'), {
    defaultSandbox: 'prod',
    workerUrl: undefined,
  });
  return plan(result, { meta: undefined, audiences: records }, options());
}

const NOT_FOLLOWED = 'is a symlink that is not followed (see its warning); the audience is left as it is';

describe('a symlink out of the source root', () => {
  it('holds the audience of the manifest file it replaced; a removed manifest is still deleted', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, {
        'm/silver.yaml': manifestYaml('silver'),
        'elsewhere/gold.yaml': manifestYaml('gold'),
      });
      await symlink(path.join(dir, 'elsewhere/gold.yaml'), path.join(dir, 'm/gold.yaml'));
      const result = await planDir(dir, [
        recorded('gold', 'gold.yaml'),
        recorded('silver', 'silver.yaml'),
        recorded('bronze', 'bronze.yaml'),
      ]);
      expect(result.diagnostics.map((d) => `${d.file}: ${d.severity} [${d.rule}]`)).toEqual([
        'gold.yaml: warning [source/symlink-outside]',
      ]);
      expect(kinds(result).filter((k) => !k.includes('silver'))).toEqual(['delete prod/bronze']);
      expect(result.held).toEqual([{ sandbox: 'prod', key: 'gold', reason: `gold.yaml ${NOT_FOLLOWED}` }]);
    });
  });

  it('holds the audiences of a folder of manifests it replaced, and of records that name no file', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, {
        'm/silver.yaml': manifestYaml('silver'),
        'elsewhere/team/gold.yaml': manifestYaml('gold'),
      });
      await symlink(path.join(dir, 'elsewhere/team'), path.join(dir, 'm/team'));
      const result = await planDir(dir, [
        recorded('gold', 'team/gold.yaml'),
        recorded('old', undefined),
        recorded('silver', 'silver.yaml'),
        recorded('bronze', 'teams.yaml'),
      ]);
      expect(kinds(result).filter((k) => !k.includes('silver'))).toEqual(['delete prod/bronze']);
      expect(result.held).toEqual([
        { sandbox: 'prod', key: 'gold', reason: `team ${NOT_FOLLOWED}` },
        { sandbox: 'prod', key: 'old', reason: `team ${NOT_FOLLOWED}` },
      ]);
    });
  });
});
