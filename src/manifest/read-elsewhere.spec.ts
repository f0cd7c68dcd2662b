import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTempDir, writeFiles } from '../../test/helpers/cli.js';
import { loadTexts, manifestYaml, manifestYamlSpelled } from '../../test/helpers/manifests.js';
import type { ManifestElsewhere } from '../plan/elsewhere.js';
import type { AudienceRecord } from '../state/schema.js';
import { directoriesAbove, findManifestsElsewhere, LEVELS_UP } from './read-elsewhere.js';

function record(key: string, manifestFile?: string, sandbox = 'prod'): AudienceRecord {
  return {
    schemaVersion: 1,
    sandbox,
    key,
    deletionPolicy: 'Delete',
    runs: [],
    audienceId: `${key}-id`,
    ...(manifestFile === undefined ? {} : { manifestFile }),
  };
}

describe('findManifestsElsewhere: manifests a plan did not read, for the records it would remove', () => {
  it('with filters, reads the files they leave out under the directory (with the default sandbox), not those they read', async () => {
    await withTempDir(async (tmp) => {
      await writeFiles(tmp, {
        'loyalty/gold.yaml': manifestYaml('silver'),
        'partners/gold.yaml': manifestYaml('gold'),
        'partners/other.yaml': manifestYaml('tin', { metadata: { sandbox: 'stage' } }),
      });
      const found = await findManifestsElsewhere([record('gold'), record('silver'), record('tin')], {
        dir: tmp,
        include: ['loyalty/**'],
        defaultSandbox: 'dev',
        above: false,
      });
      expect(found).toEqual([
        { kind: 'out-of-scope', sandbox: 'dev', key: 'gold', file: 'partners/gold.yaml' },
        { kind: 'out-of-scope', sandbox: 'stage', key: 'tin', file: 'partners/other.yaml' },
      ]);
      // Without filters the plan read everything under the directory: nothing is out of scope.
      expect(
        await findManifestsElsewhere([record('gold')], { dir: tmp, defaultSandbox: 'dev', above: false }),
      ).toEqual([]);
    });
  });

  it('above: at the record file under a directory above, then anywhere in it (a moved file, a record naming none)', async () => {
    await withTempDir(async (tmp) => {
      const m = path.join(tmp, 'm');
      await writeFiles(m, {
        'loyalty/gold.yaml': manifestYaml('gold'),
        'retail/bronze.yaml': manifestYaml('bronze'),
        'retail/moved.yaml': manifestYaml('copper'),
        'old.yaml': manifestYaml('legacy'),
        // The file recorded for tin now holds another audience: tin's manifest is gone.
        'retail/tin.yaml': manifestYaml('zinc'),
      });
      const records = [
        record('bronze', 'retail/bronze.yaml'),
        record('copper', 'web.yaml'),
        record('legacy'),
        record('tin', 'retail/tin.yaml'),
      ];
      const show = (absolute: string) => path.relative(tmp, absolute);
      const source = { dir: path.join(m, 'loyalty'), defaultSandbox: 'prod', show };
      const above = (key: string, file: string) => ({
        kind: 'above',
        sandbox: 'prod',
        key,
        file,
        dir: 'm',
        under: 'loyalty',
      });
      const keyOf = (m: ManifestElsewhere) => (m.kind === 'applied-from' ? '' : m.key);
      const byKey = (a: ManifestElsewhere, b: ManifestElsewhere) => (keyOf(a) < keyOf(b) ? -1 : 1);
      expect((await findManifestsElsewhere(records, source)).sort(byKey)).toEqual([
        above('bronze', 'm/retail/bronze.yaml'),
        above('copper', 'm/retail/moved.yaml'),
        above('legacy', 'm/old.yaml'),
      ]);
      // No removed record's file found above: a record the plan matched says where they came
      // from, its recorded file being `loyalty/<the file read>`.
      const moved = records.slice(1);
      expect(
        (await findManifestsElsewhere(moved, source, [record('gold', 'loyalty/gold.yaml')])).sort(byKey),
      ).toEqual([above('copper', 'm/retail/moved.yaml'), above('legacy', 'm/old.yaml')]);
      // Nothing says it when no record was applied from above: another file, key or sandbox.
      for (const other of [
        record('gold', 'gold.yaml'),
        record('gold', 'loyalty/silver.yaml'),
        record('silver', 'loyalty/gold.yaml'),
        record('gold', 'loyalty/gold.yaml', 'dev'),
      ]) {
        expect(await findManifestsElsewhere(moved, source, [other])).toEqual([]);
      }
      // The removed records themselves say nothing.
      expect(await findManifestsElsewhere(moved, source, moved)).toEqual([]);
      // Said, with nothing found above to say it (tin's manifest is gone): the directory alone.
      const gold = record('gold', 'loyalty/gold.yaml');
      const appliedFromM = { kind: 'applied-from', dir: 'm', under: 'loyalty' };
      expect(await findManifestsElsewhere([record('tin', 'retail/tin.yaml')], source, [gold])).toEqual([
        appliedFromM,
      ]);
      // No removal, a record the plan would re-point from loyalty/gold.yaml to gold.yaml: the same.
      expect(await findManifestsElsewhere([], source, [gold], [gold])).toEqual([appliedFromM]);
      for (const other of [record('gold', 'gold.yaml'), record('silver', 'loyalty/gold.yaml')]) {
        expect(await findManifestsElsewhere([], source, [other], [other])).toEqual([]);
      }
      expect(await findManifestsElsewhere([], source, [gold])).toEqual([]);
      expect(await findManifestsElsewhere([], { ...source, above: false }, [gold], [gold])).toEqual([]);
      // A --base plan's records come from the directory itself.
      expect(await findManifestsElsewhere(records, { ...source, above: false })).toEqual([]);
    });
  });

  it('finds a key spelled with a YAML escape in a double-quoted scalar (`"g\\x6Fld"`) in the files the filters leave out', async () => {
    await withTempDir(async (tmp) => {
      const files = {
        'silver.yaml': manifestYaml('silver'),
        'partners/gold.yaml': manifestYamlSpelled('gold', 'g\\x6Fld'),
      };
      await writeFiles(tmp, files);
      // gold once parsed.
      expect(loadTexts(files).manifests.map((manifest) => manifest.key)).toEqual(['gold', 'silver']);
      const source = { dir: tmp, include: ['silver.yaml'], defaultSandbox: 'prod', above: false };
      expect(await findManifestsElsewhere([record('gold')], source)).toEqual([
        { kind: 'out-of-scope', sandbox: 'prod', key: 'gold', file: 'partners/gold.yaml' },
      ]);
    });
  });

  it('finds a key spelled with a YAML escape (`"\\u0062ronze"`, a `\\` line break) above: at the record file, then anywhere there', async () => {
    await withTempDir(async (tmp) => {
      const m = path.join(tmp, 'm');
      const files = {
        'loyalty/silver.yaml': manifestYaml('silver'),
        'retail/bronze.yaml': manifestYamlSpelled('bronze', '\\u0062ronze'),
        'retail/moved.yaml': manifestYamlSpelled('copper', 'co\\\n        pper'),
      };
      await writeFiles(m, files);
      // bronze and copper once parsed.
      expect(loadTexts(files).manifests.map((manifest) => manifest.key)).toEqual([
        'bronze',
        'copper',
        'silver',
      ]);
      const show = (absolute: string) => path.relative(tmp, absolute);
      const records = [record('bronze', 'retail/bronze.yaml'), record('copper', 'web.yaml')];
      const source = { dir: path.join(m, 'loyalty'), defaultSandbox: 'prod', show };
      expect(await findManifestsElsewhere(records, source)).toEqual([
        {
          kind: 'above',
          sandbox: 'prod',
          key: 'bronze',
          file: 'm/retail/bronze.yaml',
          dir: 'm',
          under: 'loyalty',
        },
        {
          kind: 'above',
          sandbox: 'prod',
          key: 'copper',
          file: 'm/retail/moved.yaml',
          dir: 'm',
          under: 'loyalty',
        },
      ]);
    });
  });

  it('a path above that cannot be a file (a file where a folder is, a link loop) is no file there, not an error', async () => {
    await withTempDir(async (tmp) => {
      await mkdir(path.join(tmp, '.git'));
      await writeFiles(tmp, {
        'm/web.yaml': manifestYaml('copper'),
        // A root file with the name of a folder the records name (ENOTDIR).
        loyalty: 'notes\n',
        'retail/bronze.yaml': manifestYaml('bronze'),
      });
      // ELOOP.
      await symlink('loop', path.join(tmp, 'loop'));
      const records = [
        record('churn-risk', 'loyalty/churn-risk.yaml'),
        record('tin', 'loop/tin.yaml'),
        record('bronze', 'retail/bronze.yaml'),
      ];
      const show = (absolute: string) => path.relative(tmp, absolute);
      expect(
        await findManifestsElsewhere(records, { dir: path.join(tmp, 'm'), defaultSandbox: 'prod', show }),
      ).toEqual([
        { kind: 'above', sandbox: 'prod', key: 'bronze', file: 'retail/bronze.yaml', dir: '', under: 'm' },
      ]);
    });
  });

  it(`goes up to the git work tree's top (the nearest), or a given top; outside one ${LEVELS_UP} levels`, async () => {
    await withTempDir(async (tmp) => {
      const deep = ['a', 'b', 'c', 'd'];
      const dir = path.join(tmp, 'top', ...deep);
      await mkdir(dir, { recursive: true });
      await writeFiles(tmp, { 'top/gold.yaml': manifestYaml('gold'), 'silver.yaml': manifestYaml('silver') });
      // A work tree's top 4 levels above dir, whatever holds the temporary directory (a
      // checkout's .git further up is not reached: the nearest is the top).
      await mkdir(path.join(tmp, 'top', '.git'));
      const records = [record('gold', 'gold.yaml'), record('silver', 'silver.yaml')];
      const show = (absolute: string) => path.relative(tmp, absolute);
      const source = { dir, defaultSandbox: 'prod', show };
      expect(await findManifestsElsewhere(records, source)).toEqual([
        { kind: 'above', sandbox: 'prod', key: 'gold', file: 'top/gold.yaml', dir: 'top', under: 'a/b/c/d' },
      ]);
      // A given top (a git source's checkout) bounds it too.
      expect(await findManifestsElsewhere(records, { ...source, top: path.join(tmp, 'top', 'a') })).toEqual(
        [],
      );
    });
    // Outside a work tree (no limit), the levels above; up to the file system's root.
    const root = path.parse(process.cwd()).root;
    const at = (...parts: string[]) => path.join(root, ...parts);
    expect(directoriesAbove(at('w', 'top', 'a', 'b', 'c'), undefined)).toEqual([
      at('w', 'top', 'a', 'b'),
      at('w', 'top', 'a'),
      at('w', 'top'),
    ]);
    expect(directoriesAbove(at('w', 'top'), undefined)).toEqual([at('w'), root]);
    expect(directoriesAbove(at('w', 'top', 'a', 'b'), at('w', 'top'))).toEqual([
      at('w', 'top', 'a'),
      at('w', 'top'),
    ]);
  });
});
