import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTempDir, writeFiles } from '../../test/helpers/cli.js';
import { manifestYaml } from '../../test/helpers/manifests.js';
import type { ManifestElsewhere } from '../plan/elsewhere.js';
import { compareText } from '../text/compare.js';
import { findManifestsElsewhere } from './read-elsewhere.js';
import { bareRecord as record } from '../../test/state/helpers.js';

/**
 * findManifestsElsewhere and the files the default selection leaves out (review 31, H-2): a
 * manifest renamed b.YAML, or moved into a dot folder, is there still and holds the removal.
 */

/** What was found, by key (the order the search finds them in is not what is tested). */
const byKey = (found: readonly ManifestElsewhere[]) =>
  [...found].sort((a, b) => compareText('key' in a ? a.key : '', 'key' in b ? b.key : ''));

describe('findManifestsElsewhere: files the default selection leaves out', () => {
  it('without filters, finds under the directory those named like manifests that name a removed record, and says why each is not read', async () => {
    await withTempDir(async (tmp) => {
      await writeFiles(tmp, {
        'a.yaml': manifestYaml('a'),
        'b.YAML': manifestYaml('b'),
        'c.Yml': manifestYaml('c', { metadata: { sandbox: 'stage' } }),
        '.archive/d.yaml': manifestYaml('d'),
        'e/.e.yml': manifestYaml('e'),
        // A manifest renamed so that the default does not read it (review scope-41, H-2).
        'i.yaml.bak': manifestYaml('i'),
        // Renamed to any other name, still claiming to be a manifest (review scope-42, H-1): h.txt
        // was pinned as never looked at; a manifest renamed so is now held as any renamed one.
        'h.txt': manifestYaml('h'),
        // Never: inside .git, node_modules, an editor's swap file, or a file of another name that
        // does not claim to be a manifest, naming the key.
        '.git/f.yaml': manifestYaml('f'),
        'node_modules/g.yaml': manifestYaml('g'),
        '.j.yaml.swp': manifestYaml('j'),
        'k.txt': 'retired: k\nname: k\n',
      });
      const records = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k'].map((key) =>
        record(key, `${key}.yaml`),
      );
      const found = await findManifestsElsewhere(records, { dir: tmp, defaultSandbox: 'prod', above: false });
      expect(byKey(found)).toEqual([
        {
          kind: 'not-selected',
          sandbox: 'prod',
          key: 'b',
          file: 'b.YAML',
          left: { why: 'extension', extension: '.YAML' },
        },
        {
          kind: 'not-selected',
          sandbox: 'stage',
          key: 'c',
          file: 'c.Yml',
          left: { why: 'extension', extension: '.Yml' },
        },
        {
          kind: 'not-selected',
          sandbox: 'prod',
          key: 'd',
          file: '.archive/d.yaml',
          left: { why: 'dot-folder', folder: '.archive' },
        },
        { kind: 'not-selected', sandbox: 'prod', key: 'e', file: 'e/.e.yml', left: { why: 'dotfile' } },
        {
          kind: 'not-selected',
          sandbox: 'prod',
          key: 'h',
          file: 'h.txt',
          left: { why: 'renamed', extension: '.txt' },
        },
        {
          kind: 'not-selected',
          sandbox: 'prod',
          key: 'i',
          file: 'i.yaml.bak',
          left: { why: 'renamed', extension: '.yaml.bak' },
        },
      ]);
    });
  });

  it('with filters, a file they leave out that the default reads is out of scope; one it does not, not selected', async () => {
    await withTempDir(async (tmp) => {
      await writeFiles(tmp, {
        'loyalty/a.yaml': manifestYaml('a'),
        'partners/gold.yaml': manifestYaml('gold'),
        'partners/.old/silver.yaml': manifestYaml('silver'),
      });
      const found = await findManifestsElsewhere([record('gold'), record('silver')], {
        dir: tmp,
        include: ['loyalty/**'],
        defaultSandbox: 'prod',
        above: false,
      });
      expect(byKey(found)).toEqual([
        { kind: 'out-of-scope', sandbox: 'prod', key: 'gold', file: 'partners/gold.yaml' },
        {
          kind: 'not-selected',
          sandbox: 'prod',
          key: 'silver',
          file: 'partners/.old/silver.yaml',
          left: { why: 'dot-folder', folder: '.old' },
        },
      ]);
    });
  });

  it('a dot folder an --include read is covered: the plan read it, nothing is found there', async () => {
    await withTempDir(async (tmp) => {
      await writeFiles(tmp, { '.generated/g.yaml': manifestYaml('g') });
      const found = await findManifestsElsewhere([record('g')], {
        dir: tmp,
        include: ['.generated/**'],
        defaultSandbox: 'prod',
        above: false,
      });
      expect(found).toEqual([]);
      // Planned without it, the same file holds the removal.
      const without = await findManifestsElsewhere([record('g', '.generated/g.yaml')], {
        dir: path.join(tmp),
        defaultSandbox: 'prod',
        above: false,
      });
      expect(without).toEqual([
        {
          kind: 'not-selected',
          sandbox: 'prod',
          key: 'g',
          file: '.generated/g.yaml',
          left: { why: 'dot-folder', folder: '.generated' },
        },
      ]);
    });
  });
});
